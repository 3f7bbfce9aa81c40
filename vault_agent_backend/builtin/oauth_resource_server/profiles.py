"""OAuth resource-server profiles: Vault 2.x's field rules, storage and an in-memory index.

A profile trusts one issuer: how to get its keys (a JWKS URI or static PEM keys) and
which claims to enforce. Profiles live in the core's storage below
``core/oauth-resource-server/profile/<name>``; every process keeps all of them in memory
(there are few) and drops that copy when the core's cache generation changes, so a
change made through any worker or node is seen on the very next request.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ...framework.errors import InvalidRequest
from ...framework.fields import FieldData
from ...storage.view import StorageView, encode_json
from .keys import ALGORITHMS, KeyLoadError, KeySet, load_pem_key, static_keyset

if TYPE_CHECKING:
    from ...core.core import Core

__all__ = ["PREFIX", "Profile", "ProfileStore", "normalize_issuer"]

PREFIX = "core/oauth-resource-server/"
JWT_TYPES = ("access_token", "transaction_token")
_RSA_FAMILY = ("RS", "PS")


def normalize_issuer(issuer: str) -> str:
    """Vault's issuer normalisation: trailing slashes trimmed, lower-cased."""
    return issuer.strip().rstrip("/").lower()


@dataclass
class Profile:
    """One stored profile (the JSON shape kept in storage)."""

    profile_name: str
    config_id: str
    issuer_id: str
    local: bool = False
    use_jwks: bool = True
    jwks_uri: str = ""
    jwks_ca_pem: str = ""
    public_keys: list[dict[str, str]] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    no_default_policy: bool = False
    optional_authorization_details: bool = False
    user_claim: str = "sub"
    actor_claim: str = "act.sub"
    unique_id_claim: str = "jti"
    supported_algorithms: list[str] = field(default_factory=list)
    jwt_type: str = "access_token"
    clock_skew_leeway: int = 0
    enabled: bool = True
    _keys: KeySet | None = field(default=None, repr=False, compare=False)

    @property
    def mount_accessor(self) -> str:
        """The accessor Vault 2.x gives entity aliases bound to this profile."""
        return f"oauth-resource-server_root_{self.config_id}"

    def static_keys(self) -> KeySet:
        """The parsed static keys (parsed once per cached profile)."""
        if self._keys is None:
            self._keys = static_keyset(self.public_keys)
        return self._keys

    def to_storage(self) -> dict[str, Any]:
        """The stored JSON."""
        out = asdict(self)
        out.pop("_keys", None)
        return out

    @classmethod
    def from_storage(cls, raw: Mapping[str, Any]) -> Profile:
        """Inverse of :meth:`to_storage` (unknown keys ignored)."""
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__ and k != "_keys"}
        return cls(**known)

    def to_api(self) -> dict[str, Any]:
        """The ``data`` of a profile read."""
        out: dict[str, Any] = {
            "config_id": self.config_id,
            "profile_name": self.profile_name,
            "issuer_id": self.issuer_id,
            "local": self.local,
            "use_jwks": self.use_jwks,
        }
        if self.use_jwks:
            out["jwks_uri"] = self.jwks_uri
            if self.jwks_ca_pem:
                out["jwks_ca_pem"] = self.jwks_ca_pem
        else:
            out["public_keys"] = [dict(k) for k in self.public_keys]
        out.update(
            {
                "audiences": list(self.audiences),
                "no_default_policy": self.no_default_policy,
                "optional_authorization_details": self.optional_authorization_details,
                "user_claim": self.user_claim,
                "actor_claim": self.actor_claim,
                "unique_id_claim": self.unique_id_claim,
                "supported_algorithms": list(self.supported_algorithms),
                "jwt_type": self.jwt_type,
                "clock_skew_leeway": self.clock_skew_leeway,
                "enabled": self.enabled,
            }
        )
        return out


# ----- input rules ---------------------------------------------------------------------------


def _public_keys(raw: Any, errors: list[str]) -> list[dict[str, str]]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except ValueError:
            errors.append("public_keys must be a JSON array of objects with key_id and pem")
            return []
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        errors.append("public_keys must be a list of objects with key_id and pem")
        return []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors.append(f"public_keys[{i}] must be an object with key_id and pem")
            continue
        kid, pem = item.get("key_id"), item.get("pem")
        if not isinstance(kid, str) or not kid:
            errors.append(f"public_keys[{i}]: key_id is required")
            continue
        if not isinstance(pem, str) or not pem.strip():
            errors.append(f"public_keys[{i}]: pem is required")
            continue
        if kid in seen:
            errors.append(f'public_keys: duplicate key_id "{kid}"')
            continue
        try:
            load_pem_key(pem)
        except KeyLoadError as exc:
            errors.append(f'public_keys: key "{kid}": {exc}')
            continue
        seen.add(kid)
        out.append({"key_id": kid, "pem": pem})
    return out


def _url_problem(name: str, value: str) -> str | None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"{name} must be a valid URL"
    return None


def _algorithm_warnings(algorithms: list[str]) -> list[str]:
    warnings = []
    if "RS256" in algorithms:
        warnings.append(
            'algorithm "RS256" is functional but consider using PS256 (RSA-PSS) for better security'
        )
    families = {
        "rsa" if a.startswith(_RSA_FAMILY) else "ec" if a.startswith("ES") else "eddsa"
        for a in algorithms
    }
    if len(families) == 1:
        warnings.append(
            "profile supports only one algorithm family - consider supporting multiple "
            "families for flexibility"
        )
    return warnings


def apply_input(
    name: str, current: Profile | None, data: FieldData
) -> tuple[Profile, list[str], bool]:
    """The profile after a create or update, its warnings, and whether the JWKS URI is new.

    Raises ``InvalidRequest`` with every validation error at once.
    """
    errors: list[str] = []
    warnings: list[str] = []
    creating = current is None
    profile = (
        Profile(profile_name=name, config_id=str(uuid.uuid4()), issuer_id="")
        if current is None
        else Profile.from_storage(current.to_storage())
    )

    issuer, has_issuer = data.get_ok("issuer_id")
    if has_issuer and issuer.strip():
        normalized = normalize_issuer(issuer)
        problem = _url_problem("issuer_id", normalized)
        if problem:
            errors.append(problem)
        elif not creating and normalized != profile.issuer_id:
            errors.append("issuer_id cannot be changed after the profile is created")
        profile.issuer_id = normalized
    elif creating:
        errors.append("issuer_id is required")
    for immutable in ("local", "unique_id_claim"):
        value, given = data.get_ok(immutable)
        if not given:
            continue
        if immutable == "unique_id_claim" and not value:
            value = "jti"
        if not creating and value != getattr(profile, immutable):
            errors.append(f"{immutable} cannot be changed after the profile is created")
        setattr(profile, immutable, value)

    use_jwks, has_mode = data.get_ok("use_jwks")
    has_uri, has_keys = data.has("jwks_uri"), data.has("public_keys")
    if has_mode and use_jwks != profile.use_jwks:
        # Switching modes clears the fields of the previous mode.
        profile.jwks_uri, profile.jwks_ca_pem, profile.public_keys = "", "", []
    if has_mode:
        profile.use_jwks = use_jwks
    uri_changed = False
    if profile.use_jwks:
        if has_keys and data.raw.get("public_keys") not in (None, "", []):
            errors.append("public_keys cannot be specified when use_jwks=true")
        if has_uri:
            uri = data.get("jwks_uri").strip()
            if uri and "://" not in uri:
                uri = "https://" + uri
            uri_changed = uri != profile.jwks_uri
            profile.jwks_uri = uri
        if data.has("jwks_ca_pem"):
            profile.jwks_ca_pem = data.get("jwks_ca_pem")
        if not profile.jwks_uri:
            errors.append("jwks_uri is required when use_jwks=true")
        else:
            problem = _url_problem("jwks_uri", profile.jwks_uri)
            if problem:
                errors.append(problem)
            elif profile.jwks_uri.startswith("http://"):
                warnings.append(
                    "JWKS URI uses HTTP instead of HTTPS. This is insecure and should only be "
                    "used in development."
                )
        if profile.jwks_ca_pem:
            try:
                from cryptography import x509

                x509.load_pem_x509_certificates(profile.jwks_ca_pem.encode())
            except ValueError as exc:
                errors.append(f"jwks_ca_pem is not a valid PEM certificate: {exc}")
    else:
        if has_uri and data.get("jwks_uri"):
            errors.append("jwks_uri cannot be specified when use_jwks=false")
        if data.has("jwks_ca_pem") and data.get("jwks_ca_pem"):
            errors.append("jwks_ca_pem cannot be specified when use_jwks=false")
        if has_keys:
            profile.public_keys = _public_keys(data.raw.get("public_keys"), errors)
        if not profile.public_keys and not any(e.startswith("public_keys") for e in errors):
            errors.append("public_keys is required when use_jwks=false")

    for list_field in ("audiences", "supported_algorithms"):
        value, given = data.get_ok(list_field)
        if given:
            setattr(profile, list_field, [v for v in dict.fromkeys(value) if v])
    for alg in profile.supported_algorithms:
        if alg not in ALGORITHMS:
            errors.append(
                f'unsupported algorithm "{alg}": supported algorithms are ' + ", ".join(ALGORITHMS)
            )
    if data.has("supported_algorithms") and profile.supported_algorithms:
        warnings.extend(_algorithm_warnings(profile.supported_algorithms))

    for text_field, default in (("user_claim", "sub"), ("actor_claim", "act.sub")):
        value, given = data.get_ok(text_field)
        if given:
            setattr(profile, text_field, value.strip() or default)
    jwt_type, given = data.get_ok("jwt_type")
    if given:
        if jwt_type not in JWT_TYPES:
            errors.append('jwt_type must be "access_token" or "transaction_token"')
        profile.jwt_type = jwt_type or "access_token"
    for flag in ("no_default_policy", "optional_authorization_details", "enabled"):
        value, given = data.get_ok(flag)
        if given:
            setattr(profile, flag, value)
    leeway, given = data.get_ok("clock_skew_leeway")
    if given:
        profile.clock_skew_leeway = leeway

    if creating and len(name) > 64:
        warnings.append(
            "Profile name exceeds 64 characters. Consider using a shorter name for better "
            "readability."
        )
    if creating and not profile.enabled:
        warnings.append("Creating a disabled profile. Enable it with enabled=true when ready.")
    if profile.issuer_id.startswith("http://") and has_issuer and creating:
        warnings.append(
            "Issuer ID uses HTTP instead of HTTPS. This is insecure and should only be used "
            "in development."
        )
    if errors:
        raise InvalidRequest(*errors)
    return profile, warnings, uri_changed and profile.use_jwks


class ProfileStore:
    """Profiles in storage plus the per-process index used on every agent request."""

    def __init__(self, core: Core):
        self.core = core
        self.view = StorageView(core.storage, PREFIX)
        self._lock = threading.RLock()
        self._profiles: dict[str, Profile] | None = None
        self._epoch = 0  # bumped by invalidate(): a load begun before it is not kept after it

    def invalidate(self) -> None:
        """Drop the in-memory copy (the cache generation changed)."""
        with self._lock:
            self._epoch += 1
            self._profiles = None

    def _all(self) -> dict[str, Profile]:
        profiles = self._profiles
        if profiles is None:
            epoch = self._epoch
            loaded: dict[str, Profile] = {}
            for name in self.view.list("profile/"):
                raw = self.view.get_json("profile/" + name)
                if raw is not None:
                    loaded[name] = Profile.from_storage(raw)
            with self._lock:
                if self._epoch == epoch:
                    self._profiles = loaded
            profiles = loaded
        return profiles

    def names(self) -> list[str]:
        """Every profile name, sorted."""
        return sorted(self._all())

    def get(self, name: str) -> Profile | None:
        """The profile named ``name``."""
        return self._all().get(name)

    def by_config_id(self, config_id: str) -> Profile | None:
        """The profile with this ``config_id``."""
        return next((p for p in self._all().values() if p.config_id == config_id), None)

    def by_mount_accessor(self, accessor: str) -> Profile | None:
        """The profile whose alias accessor (``oauth-resource-server_root_<id>``) this is."""
        prefix = "oauth-resource-server_root_"
        if not accessor.startswith(prefix):
            return None
        return self.by_config_id(accessor[len(prefix) :])

    def for_issuer(self, issuer: str) -> Profile | None:
        """The profile trusting ``issuer`` (normalised), a local one before a global one.

        Disabled profiles are returned too; the caller refuses them with a reason.
        """
        wanted = normalize_issuer(issuer)
        found: Profile | None = None
        for profile in self._all().values():
            if profile.issuer_id == wanted:
                if profile.local and profile.enabled:
                    return profile
                if found is None or (profile.enabled and not found.enabled):
                    found = profile
        return found

    def enabled_issuers(self) -> list[str]:
        """Issuers of enabled profiles (RFC 9728 ``authorization_servers``)."""
        return sorted({p.issuer_id for p in self._all().values() if p.enabled})

    def write(self, name: str, data: FieldData) -> tuple[Profile, list[str], bool]:
        """Create or update a profile; (profile, warnings, jwks uri changed)."""
        with self._lock:
            self.invalidate()
            current = self.get(name)
            profile, warnings, uri_changed = apply_input(name, current, data)
            for other in self._all().values():
                if (
                    other.profile_name != name
                    and other.issuer_id == profile.issuer_id
                    and other.local == profile.local
                ):
                    raise InvalidRequest(
                        f'duplicate issuer_id "{profile.issuer_id}" found in profile '
                        f'"{other.profile_name}"'
                    )
            self.view.put("profile/" + name, encode_json(profile.to_storage()))
            self.core.bump_generation()
            return profile, warnings, uri_changed

    def delete(self, name: str) -> None:
        """Remove a profile (no error when absent)."""
        with self._lock:
            if self.view.get("profile/" + name) is not None:
                self.view.delete("profile/" + name)
                self.core.bump_generation()
