"""Build the layers of SPEC §6 from current state (policies, entities, registration, RAR).

Delegated (the token names an actor): ``human`` (the subject's identity policies plus
``default`` unless the profile sets ``no_default_policy``), ``baseline`` (the agent's
``baseline_policies`` when non-empty), ``ceiling`` (the agent's ceiling policies) and
``authorization_details`` (the token's RAR, unless optional and absent). Templates
resolve against the subject in the human and RAR layers and against the agent in the
baseline and ceiling layers.

Direct (the agent acts as itself): ``agent`` (the agent entity's identity policies plus
``default`` unless ``no_default_policy``) and ``authorization_details``.

Every ACL comes from ``core.policy_store.acl`` (compiled once and cached, never re-parsed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..policy import DEFAULT_POLICY
from ..policy.rar import RAREntry, RARLayer
from .decision import Layer

if TYPE_CHECKING:
    from ..core.core import Core

__all__ = ["build_layers"]


def _acl_layer(core: Core, name: str, policies: Sequence[str], identity: Any) -> Layer:
    names = tuple(dict.fromkeys(policies))
    return Layer(name=name, acl=core.policy_store.acl(list(names), identity), policies=names)


def build_layers(
    core: Core,
    *,
    delegated: bool,
    subject_policies: Sequence[str],
    subject_context: Any,
    agent_policies: Sequence[str],
    agent_context: Any,
    registration: dict[str, Any],
    no_default_policy: bool,
    rar: Sequence[RAREntry] | None,
    extra_layers: Sequence[Layer] = (),
) -> list[Layer]:
    """The ordered layers of one agent request.

    ``subject_*`` describe the human (delegated) -- in direct mode pass the agent's;
    ``rar`` None means the claim is absent (and optional). ``extra_layers`` (e.g. a
    delegation's scope) are appended as they are.
    """
    default = [] if no_default_policy else [DEFAULT_POLICY]
    layers: list[Layer] = []
    if delegated:
        layers.append(_acl_layer(core, "human", [*subject_policies, *default], subject_context))
        baseline = registration.get("baseline_policies") or []
        if baseline:
            layers.append(_acl_layer(core, "baseline", baseline, agent_context))
        layers.append(
            _acl_layer(core, "ceiling", registration.get("ceiling_policies") or [], agent_context)
        )
        rar_context = subject_context
    else:
        layers.append(_acl_layer(core, "agent", [*agent_policies, *default], agent_context))
        rar_context = agent_context
    if rar is not None:
        layers.append(
            Layer(
                name="authorization_details",
                acl=RARLayer(rar, rar_context),
                policies=("authorization_details",),
                gates_self_description=False,
            )
        )
    layers.extend(extra_layers)
    return layers
