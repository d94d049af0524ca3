"""RFC 7616 §3.4 written out plainly over hashlib: the answers digest tests check sipfast against.

Never imports sipfast, so a test that compares with it checks the package against the RFC.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Optional

# the base hash of each algorithm family
HASHLIB: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda data: hashlib.md5(data).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
    "SHA-512-256": lambda data: hashlib.new("sha512_256", data).hexdigest(),
}


def base(algorithm: str) -> str:
    return algorithm.upper().removesuffix("-SESS")


def reference_ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """H(username:realm:password), the stored form (no -sess step)."""
    return HASHLIB[base(algorithm)](f"{username}:{realm}:{password}".encode())


def reference(
    algorithm: str,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    qop: Optional[str] = None,
    nc: str = "",
    cnonce: str = "",
    body: bytes = b"",
    hash_hex: Optional[Callable[[bytes], str]] = None,
) -> str:
    """The response (RFC 7616 §3.4.1-3.4.3, RFC 2069 without qop), over hashlib or hash_hex."""
    h = hash_hex or HASHLIB[base(algorithm)]

    def H(text: str) -> str:
        return h(text.encode("utf-8"))

    ha1 = H(f"{username}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = H(f"{ha1}:{nonce}:{cnonce}")
    ha2 = H(f"{method}:{uri}:{h(body)}") if qop == "auth-int" else H(f"{method}:{uri}")
    if qop is None:
        return H(f"{ha1}:{nonce}:{ha2}")
    return H(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
