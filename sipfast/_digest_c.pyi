# Types of the C twin of the digest core; the behaviour is that of _digest_py.
from typing import Union

ALGORITHMS: tuple[str, ...]

def canonical_algorithm(name: Union[str, None]) -> str: ...
def hash_hex(algorithm: str, data: Union[bytes, str]) -> str: ...
def digest_ha1(algorithm: str, username: str, realm: str, password: str) -> str: ...
def digest_response(
    algorithm: str = "MD5",
    username: str = "",
    realm: str = "",
    password: Union[str, None] = None,
    ha1: Union[str, None] = None,
    method: str = "",
    uri: str = "",
    nonce: str = "",
    qop: Union[str, None] = None,
    nc: Union[int, str, None] = None,
    cnonce: Union[str, None] = None,
    body: bytes = b"",
) -> str: ...
def _force_portable(flag: bool) -> bool: ...
