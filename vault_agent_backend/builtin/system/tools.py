"""``sys/tools/hash[/:algorithm]`` and ``sys/tools/random[/:source][/:bytes]``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from typing import TYPE_CHECKING

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response

if TYPE_CHECKING:
    from . import SystemBackend

MAX_RANDOM_BYTES = 128 * 1024
_ALGORITHMS = {
    "sha2-224": hashlib.sha224,
    "sha2-256": hashlib.sha256,
    "sha2-384": hashlib.sha384,
    "sha2-512": hashlib.sha512,
    "sha3-224": hashlib.sha3_224,
    "sha3-256": hashlib.sha3_256,
    "sha3-384": hashlib.sha3_384,
    "sha3-512": hashlib.sha3_512,
}
_SOURCES = ("", "platform", "seal", "all")
_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_HASH_PATTERN = r"tools/hash(/(?P<urlalgorithm>.+))?"
_RANDOM_PATTERN = r"tools/random(/(?P<source>\w(([\w.@-]+)?\w)?))?(/(?P<urlbytes>.+))?"
_RANDOM_RE = re.compile(rf"^{_RANDOM_PATTERN}$")


def decode_std_base64(text: str) -> bytes:
    """Decode padded standard base64 as Go does, with Go's error positions.

    Newlines are skipped; the error names the offset of the first bad byte (or of the
    incomplete final quantum), e.g. ``illegal base64 data at input byte 4``.
    """
    src = text.encode("utf-8", "surrogatepass")
    count = 0  # significant characters in the current quantum
    quantum_start = 0
    index = 0
    length = len(src)
    while index < length:
        char = src[index]
        if char in (0x0A, 0x0D):
            index += 1
            continue
        if count == 0:
            quantum_start = index
        if char == 0x3D:  # '='
            if count < 2:
                raise ValueError(f"illegal base64 data at input byte {index}")
            index += 1
            if count == 2:
                while index < length and src[index] in (0x0A, 0x0D):
                    index += 1
                if index == length:
                    raise ValueError(f"illegal base64 data at input byte {length}")
                if src[index] != 0x3D:
                    raise ValueError(f"illegal base64 data at input byte {index - 1}")
                index += 1
            while index < length and src[index] in (0x0A, 0x0D):
                index += 1
            if index < length:
                raise ValueError(f"illegal base64 data at input byte {index}")
            count = 0
            break
        if char not in _B64:
            raise ValueError(f"illegal base64 data at input byte {index}")
        count = (count + 1) % 4
        index += 1
    if count != 0:
        raise ValueError(f"illegal base64 data at input byte {quantum_start}")
    cleaned = src.replace(b"\n", b"").replace(b"\r", b"")
    try:
        return base64.b64decode(cleaned, validate=False)
    except binascii.Error as exc:  # pragma: no cover - guarded by the scan above
        raise ValueError(str(exc)) from None


def _encode(raw: bytes, fmt: str) -> str:
    return raw.hex() if fmt == "hex" else base64.b64encode(raw).decode()


def _go_atoi(text: str) -> int:
    """``strconv.Atoi`` with its error text."""
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    raise InvalidRequest(
        f'error parsing url-set byte count: strconv.Atoi: parsing "{text}": invalid syntax'
    )


def paths(backend: SystemBackend) -> list[Path]:
    """The tools paths of ``sys/``."""

    def hash_input(req: Request, data: FieldData) -> Response:
        fmt = data.get("format")
        algorithm = data.get("urlalgorithm") or data.get("algorithm")
        try:
            raw = decode_std_base64(data.get("input"))
        except ValueError as exc:
            raise InvalidRequest(f"unable to decode input as base64: {exc}") from None
        if fmt not in ("hex", "base64"):
            raise InvalidRequest(f'unsupported encoding format {fmt}; must be "hex" or "base64"')
        func = _ALGORITHMS.get(algorithm)
        if func is None:
            raise InvalidRequest(f"unsupported algorithm {algorithm}")
        return Response(data={"sum": _encode(func(raw).digest(), fmt)})

    def random_bytes(req: Request, data: FieldData) -> Response:
        match = _RANDOM_RE.match(req.rel_path)
        url_source = (match.group("source") if match else "") or ""
        url_bytes = (match.group("urlbytes") if match else "") or ""
        source = "platform"
        if url_source == "":
            count = data.get("bytes")
        elif url_bytes == "" and url_source in _SOURCES:
            source = url_source
            count = data.get("bytes")
        elif url_bytes == "":
            count = _go_atoi(url_source)
        else:
            source = url_source
            count = _go_atoi(url_bytes)
        fmt = data.get("format")
        if count < 1:
            raise InvalidRequest("'bytes' cannot be less than 1")
        if count > MAX_RANDOM_BYTES:
            raise InvalidRequest(f"'bytes' should be less than {MAX_RANDOM_BYTES}")
        if fmt not in ("hex", "base64"):
            raise InvalidRequest(f'unsupported encoding format "{fmt}"; must be "hex" or "base64"')
        warnings = []
        if source == "seal":
            warnings.append("no seal/entropy augmentation available, using platform entropy source")
        elif source not in ("", "platform", "all"):
            raise InvalidRequest(
                f'unsupported entropy source "{source}"; must be "platform" or "seal", or "all"'
            )
        return Response(
            data={"random_bytes": _encode(secrets.token_bytes(count), fmt)}, warnings=warnings
        )

    return [
        Path(
            _HASH_PATTERN,
            {Operation.UPDATE: hash_input},
            fields={
                "input": Field(FieldType.STRING, description="The base64-encoded input data."),
                "algorithm": Field(
                    FieldType.STRING,
                    default="sha2-256",
                    description="Algorithm to use: sha2-224, sha2-256, sha2-384, sha2-512, "
                    "sha3-224, sha3-256, sha3-384 or sha3-512.",
                ),
                "urlalgorithm": Field(
                    FieldType.STRING, description="Algorithm to use (POST URL parameter)."
                ),
                "format": Field(
                    FieldType.STRING,
                    default="hex",
                    description='Encoding format to use: "hex" or "base64".',
                ),
            },
            help_synopsis="Generate a hash sum for input data.",
        ),
        Path(
            _RANDOM_PATTERN,
            {Operation.UPDATE: random_bytes},
            fields={
                "urlbytes": Field(
                    FieldType.STRING, description="The number of bytes (POST URL parameter)."
                ),
                "bytes": Field(
                    FieldType.INT, default=32, description="The number of bytes to generate."
                ),
                "format": Field(
                    FieldType.STRING,
                    default="base64",
                    description='Encoding format to use: "hex" or "base64".',
                ),
                "source": Field(
                    FieldType.STRING,
                    default="platform",
                    description='Where the random data comes from: "platform", "seal" or "all".',
                ),
            },
            help_synopsis="Generate random bytes.",
        ),
    ]
