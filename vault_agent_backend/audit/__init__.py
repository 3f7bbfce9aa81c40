"""Audit devices (SPEC §8): Vault's file device with Vault's entry format and hashing, plus
a tamper-evident HMAC chain per device file.

* :mod:`.broker` -- the device table and :class:`AuditBroker` (``core.hooks["audit"]``,
  called by the request pipeline before and after each request);
* :mod:`.entry` -- request/response entries in Vault's JSON shape;
* :mod:`.hashing` -- HMAC of values with the device's salt (Vault's ``hashstructure``);
* :mod:`.agent_fields` -- Vault 2.x's agent metadata plus delegation, purpose, deciding layer;
* :mod:`.sink` / :mod:`.chain` -- locked, chained appends and the chain heads in storage
  (the line format itself is :mod:`vab_client.audit_chain`, shared with ``vab audit verify``).
"""

from __future__ import annotations

from .broker import NOT_AUDITED, AuditBroker, Device, broker
from .hashing import HMAC_PREFIX, Hasher, hash_structure
from .options import DeviceOptions, parse_options

__all__ = [
    "HMAC_PREFIX",
    "NOT_AUDITED",
    "AuditBroker",
    "Device",
    "DeviceOptions",
    "Hasher",
    "broker",
    "hash_structure",
    "parse_options",
]
