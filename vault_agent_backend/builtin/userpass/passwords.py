"""Password hashing for userpass: scrypt from ``cryptography``, parameters kept in the hash.

A stored hash reads ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<key b64>``; verifying uses the
parameters stored with it, so they can be raised later without invalidating old hashes.
Passwords are never stored, returned or logged in clear.
"""

from __future__ import annotations

import base64
import functools
import os

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCHEME = "scrypt"
LOG2_N = 15
"""CPU/memory cost: n = 2**15 (32 MiB, about 0.1-0.2 s per hash)."""
BLOCK_SIZE = 8
PARALLELISM = 1
KEY_LENGTH = 32
SALT_LENGTH = 16


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str) -> str:
    """A new salted scrypt hash of ``password``."""
    salt = os.urandom(SALT_LENGTH)
    key = Scrypt(salt=salt, length=KEY_LENGTH, n=2**LOG2_N, r=BLOCK_SIZE, p=PARALLELISM).derive(
        password.encode()
    )
    return f"{SCHEME}${LOG2_N}${BLOCK_SIZE}${PARALLELISM}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant time; False for a malformed hash)."""
    try:
        scheme, log2_n, block, parallel, salt_b64, key_b64 = stored.split("$")
        if scheme != SCHEME:
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(key_b64)
        kdf = Scrypt(
            salt=salt, length=len(expected), n=2 ** int(log2_n), r=int(block), p=int(parallel)
        )
    except (ValueError, TypeError):
        return False
    try:
        kdf.verify(password.encode(), expected)
    except InvalidKey:
        return False
    return True


@functools.cache
def _dummy_hash() -> str:
    return hash_password(os.urandom(12).hex())


def burn_time(password: str) -> None:
    """Spend the time of one verification (unknown users answer as slowly as known ones)."""
    verify_password(password, _dummy_hash())
