# Pure-Python twin of the digest core: hashlib hashes, the same steps and checks as _digest_c.pyx.
from __future__ import annotations

import hashlib
import re
from binascii import hexlify
from functools import partial
from typing import Callable, Protocol, Union

from .errors import DigestError

__all__ = ("ALGORITHMS", "canonical_algorithm", "digest_ha1", "digest_response", "hash_hex")

ALGORITHMS: tuple[str, ...] = (
    "MD5",
    "MD5-sess",
    "SHA-256",
    "SHA-256-sess",
    "SHA-512-256",
    "SHA-512-256-sess",
)


class _Hash(Protocol):
    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...


# Base hashes by ALGORITHMS index >> 1; index & 1 is the -sess flag.
_NEW: tuple[Callable[[bytes], _Hash], ...] = (
    hashlib.md5,
    hashlib.sha256,
    partial(hashlib.new, "sha512_256"),  # FIPS 180-4 SHA-512/256, not SHA-512 cut short
)
_HEX_LENGTH = (32, 64, 64)
_INDEX = {name.lower(): index for index, name in enumerate(ALGORITHMS)}
_HEX = re.compile("[0-9A-Fa-f]*")

# str.encode(x), not x.encode(): anything but a str raises TypeError, as in the C twin.
_utf8 = str.encode


def _algorithm(name: str | None) -> int:
    if name is None:
        return 0
    if not isinstance(name, str):
        raise TypeError(f"algorithm must be str or None, not {type(name).__name__}")
    if not name:
        return 0  # RFC 2617 §3.2.1: "If this is not present it is assumed to be MD5."
    index = _INDEX.get(name.lower())
    if index is None:
        raise DigestError(f"unknown digest algorithm {name!r}")
    return index


def _stored_ha1(ha1: str, length: int) -> bytes:
    if not isinstance(ha1, str):
        raise TypeError(f"ha1 must be str, not {type(ha1).__name__}")
    if len(ha1) != length or _HEX.fullmatch(ha1) is None:
        raise DigestError(f"ha1 must be {length} hex digits")
    # RFC 7616 writes H() in lowercase hex, so a stored value in capitals is hashed in lowercase.
    return ha1.lower().encode("ascii")


def _nc_text(nc: Union[int, str]) -> bytes:
    # nc-value = 8LHEX (RFC 7616 §3.4): an int becomes eight lowercase hex digits; a str is kept.
    if isinstance(nc, str):
        return nc.encode()
    if isinstance(nc, int):
        if 0 <= nc <= 0xFFFFFFFF:
            return b"%08x" % nc
        raise DigestError(f"nc out of range: {nc!r}")
    raise TypeError(f"nc must be int or str, not {type(nc).__name__}")


def canonical_algorithm(name: str | None) -> str:
    """Return the RFC 7616 spelling of a digest algorithm name.

    The lookup ignores case; ``None`` or ``""`` (no ``algorithm`` parameter) is
    ``"MD5"``, the RFC 2617 default.  Names outside ``ALGORITHMS`` raise
    :class:`~sipfast.errors.DigestError`.
    """
    return ALGORITHMS[_algorithm(name)]


def hash_hex(algorithm: str, data: Union[bytes, str]) -> str:
    """Return the lowercase hex digest of ``data`` with the algorithm's base hash.

    ``"-sess"`` makes no difference here (``"SHA-256-sess"`` hashes with SHA-256);
    a str is hashed as its UTF-8 encoding.
    """
    new = _NEW[_algorithm(algorithm) >> 1]
    if isinstance(data, str):
        data = data.encode()
    return new(data).hexdigest()


def digest_ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """Return H(username ":" realm ":" password) as lowercase hex.

    This is what a server may store instead of the password and later pass to
    :func:`digest_response` as ``ha1``; no ``-sess`` step is applied.
    """
    new = _NEW[_algorithm(algorithm) >> 1]
    return new(b"%s:%s:%s" % (_utf8(username), _utf8(realm), _utf8(password))).hexdigest()


def digest_response(
    algorithm: str = "MD5",
    username: str = "",
    realm: str = "",
    password: str | None = None,
    ha1: str | None = None,
    method: str = "",
    uri: str = "",
    nonce: str = "",
    qop: str | None = None,
    nc: Union[int, str, None] = None,
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """Return the HTTP Digest request-digest (the ``response`` parameter) as lowercase hex.

    Follows RFC 2617 §3.2.2, RFC 7616 §3.4 and RFC 8760 for every name in
    ``ALGORITHMS`` (case-insensitive).  Give exactly one of ``password`` and
    ``ha1``, where ``ha1`` is H(username:realm:password) in hex, as returned by
    :func:`digest_ha1`.  ``qop`` is ``None`` (the RFC 2069 form), ``"auth"`` or
    ``"auth-int"`` (which hashes ``body``); with a qop, ``nc`` (an int, written
    as eight hex digits, or the str as sent) and ``cnonce`` are required, and
    ``-sess`` algorithms always need ``cnonce``.  str values are hashed as UTF-8.

    Raises :class:`~sipfast.errors.DigestError` for inputs that cannot give an
    answer (unknown algorithm or qop, malformed ``ha1``, a missing ``nc`` or
    ``cnonce``) and ``TypeError`` for values of the wrong type.
    """
    index = _algorithm(algorithm)
    new = _NEW[index >> 1]

    if password is not None and ha1 is None:
        # RFC 7616 §3.4.2:  A1 = unq(username) ":" unq(realm) ":" passwd
        secret = hexlify(new(b"%s:%s:%s" % (_utf8(username), _utf8(realm), _utf8(password))).digest())
    elif ha1 is not None and password is None:
        secret = _stored_ha1(ha1, _HEX_LENGTH[index >> 1])
    else:
        raise DigestError("give exactly one of password and ha1")

    if qop is not None:
        # qop-value = "auth" / "auth-int" / token; only the first two define a response.
        if qop != "auth" and qop != "auth-int":
            raise DigestError(f"unsupported qop {qop!r}")
        if nc is None:
            raise DigestError("qop needs nc")
        if cnonce is None:
            raise DigestError("qop needs cnonce")
    if index & 1 and cnonce is None:
        raise DigestError(f"{ALGORITHMS[index]} needs cnonce")
    nc_value = b"" if nc is None else _nc_text(nc)
    nonce_value = _utf8(nonce)
    cnonce_value = b"" if cnonce is None else _utf8(cnonce)
    method_value = _utf8(method)
    uri_value = _utf8(uri)

    if index & 1:
        # RFC 7616 §3.4.2, -sess:
        #   A1 = H( unq(username) ":" unq(realm) ":" passwd )
        #        ":" unq(nonce-prefix) ":" unq(cnonce-prefix)
        secret = hexlify(new(b"%s:%s:%s" % (secret, nonce_value, cnonce_value)).digest())

    # A2 = Method ":" request-uri                                  (qop "auth" or absent)
    # A2 = Method ":" request-uri ":" H(entity-body)               (qop "auth-int")
    if qop == "auth-int":
        a2 = b"%s:%s:%s" % (method_value, uri_value, hexlify(new(body).digest()))
    else:
        a2 = b"%s:%s" % (method_value, uri_value)
    ha2 = hexlify(new(a2).digest())

    # response = KD(H(A1), unq(nonce) ":" nc ":" unq(cnonce) ":" unq(qop) ":" H(A2))
    # RFC 2069:  KD(H(A1), unq(nonce) ":" H(A2))
    # with KD(secret, data) = H(concat(secret, ":", data))
    if qop is None:
        data = b"%s:%s:%s" % (secret, nonce_value, ha2)
    else:
        data = b":".join((secret, nonce_value, nc_value, cnonce_value, _utf8(qop), ha2))
    return new(data).hexdigest()
