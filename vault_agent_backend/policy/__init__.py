"""Vault-compatible ACL policy engine: parsing, templating, compiled ACLs, caching.

Pure Python, no I/O: the HTTP layer and the stores call into it.

>>> from vault_agent_backend.policy import parse_policy, ACL
>>> acl = ACL([parse_policy("kv", 'path "secret/*" { capabilities = ["read"] }')])
>>> acl.capabilities("secret/foo")
['read']
>>> acl.authorize("update", "secret/foo").allowed
False
"""

from .acl import ACL, OPERATION_CAPABILITY, ACLError, AuthorizationResult
from .cache import ACLCache
from .defaults import (
    DEFAULT_CEILING_POLICY,
    DEFAULT_CEILING_POLICY_HCL,
    DEFAULT_POLICY,
    DEFAULT_POLICY_HCL,
    ROOT_POLICY,
    default_ceiling_policy,
    default_policy,
    root_policy,
)
from .durations import DurationError, parse_duration_seconds
from .layers import intersect, intersect_capabilities
from .model import (
    CAPABILITY_NAMES,
    Capability,
    PathRules,
    Policy,
    capabilities_from_names,
    capability_names,
)
from .parser import PolicyParseError, normalize_policy_name, parse_policy
from .templating import (
    AliasInfo,
    GroupInfo,
    IdentityContext,
    TemplateError,
    TemplateForbiddenValueError,
    TemplateSyntaxError,
    render_template,
)

__all__ = [
    "ACL",
    "CAPABILITY_NAMES",
    "DEFAULT_CEILING_POLICY",
    "DEFAULT_CEILING_POLICY_HCL",
    "DEFAULT_POLICY",
    "DEFAULT_POLICY_HCL",
    "OPERATION_CAPABILITY",
    "ROOT_POLICY",
    "ACLCache",
    "ACLError",
    "AliasInfo",
    "AuthorizationResult",
    "Capability",
    "DurationError",
    "GroupInfo",
    "IdentityContext",
    "PathRules",
    "Policy",
    "PolicyParseError",
    "TemplateError",
    "TemplateForbiddenValueError",
    "TemplateSyntaxError",
    "capabilities_from_names",
    "capability_names",
    "default_ceiling_policy",
    "default_policy",
    "intersect",
    "intersect_capabilities",
    "normalize_policy_name",
    "parse_duration_seconds",
    "parse_policy",
    "render_template",
    "root_policy",
]
