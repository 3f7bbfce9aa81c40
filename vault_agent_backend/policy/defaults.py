"""Built-in policies: ``root``, ``default`` and this product's ``default-ceiling``."""

from __future__ import annotations

from functools import cache

from .model import Policy
from .parser import parse_policy

__all__ = [
    "DEFAULT_CEILING_POLICY",
    "DEFAULT_CEILING_POLICY_HCL",
    "DEFAULT_POLICY",
    "DEFAULT_POLICY_HCL",
    "ROOT_POLICY",
    "default_ceiling_policy",
    "default_policy",
    "root_policy",
]

#: The superuser policy: it has no text and cannot be written; alone on a token it
#: allows everything.
ROOT_POLICY = "root"
#: Attached to tokens unless ``no_default_policy``; may be edited, never deleted.
DEFAULT_POLICY = "default"
#: The ceiling applied to agents that have no ceiling policies of their own.
DEFAULT_CEILING_POLICY = "default-ceiling"

# The grants of Vault's built-in default policy, written for this product.
DEFAULT_POLICY_HCL = """\
# Built-in "default" policy: what every token may do about itself.

# Read its own token properties.
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Renew or revoke itself.
path "auth/token/renew-self" {
    capabilities = ["update"]
}
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Ask which capabilities it has on given paths.
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Read its own identity entity, by id or by name.
path "identity/entity/id/{{identity.entity.id}}" {
    capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
    capabilities = ["read"]
}

# See the ACL that results from all of its policies (used by UIs).
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Renew a lease by id (old and new path) and look leases up; this requires
# knowing the lease id already.
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Its private cubbyhole.
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Response wrapping: wrap values, inspect and unwrap wrapping tokens.
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# General purpose hashing tool.
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Ask for a control-group authorization.
path "sys/control-group/request" {
    capabilities = ["update"]
}

# Use the authorization endpoint of OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
"""

# The built-in ceiling: as Vault 2.x documents, an agent may read its own registration
# and the definitions of the "default" and "default-ceiling" policies, nothing else.
DEFAULT_CEILING_POLICY_HCL = """\
# Built-in "default-ceiling" policy: the upper bound for agents without ceiling
# policies of their own. It lets an agent read its own registration record and the
# definitions of the "default" and "default-ceiling" policies.
path "agent-registry/registration/entity-id/{{identity.entity.id}}" {
    capabilities = ["read"]
}
path "identity/agent/registration/entity-id/{{identity.entity.id}}" {
    capabilities = ["read"]
}
path "sys/policies/acl/default" {
    capabilities = ["read"]
}
path "sys/policies/acl/default-ceiling" {
    capabilities = ["read"]
}
path "sys/policy/default" {
    capabilities = ["read"]
}
path "sys/policy/default-ceiling" {
    capabilities = ["read"]
}
"""


@cache
def root_policy() -> Policy:
    """The ``root`` policy object (no stanzas; the ACL treats its name specially)."""
    return Policy(name=ROOT_POLICY, raw="")


@cache
def default_policy() -> Policy:
    """``DEFAULT_POLICY_HCL`` parsed (once)."""
    return parse_policy(DEFAULT_POLICY, DEFAULT_POLICY_HCL)


@cache
def default_ceiling_policy() -> Policy:
    """``DEFAULT_CEILING_POLICY_HCL`` parsed (once)."""
    return parse_policy(DEFAULT_CEILING_POLICY, DEFAULT_CEILING_POLICY_HCL)
