# The structured header values both parser twins return: plain named tuples, no behaviour of weight.
from __future__ import annotations

from typing import NamedTuple, Optional

Params = dict[str, Optional[str]]


class URI(NamedTuple):
    """A parsed URI (RFC 3261 §19.1, RFC 3966 for tel:, RFC 3986 for the rest).

    ``user``, ``password``, param and header names and values are %-unescaped; ``host`` is as
    written (an IPv6 reference keeps its brackets); ``text`` is the URI as written. For schemes other
    than sip, sips and tel only ``scheme`` and ``text`` are set.
    """

    scheme: str
    user: Optional[str]
    password: Optional[str]
    host: Optional[str]
    port: Optional[int]
    params: Params
    headers: dict[str, str]
    text: str

    def __str__(self) -> str:
        return self.text

    @property
    def hostport(self) -> str:
        """``host`` or ``host:port`` as written in a Via or a Request-URI."""
        if self.host is None:
            return ""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def aor(self) -> str:
        """The address-of-record: ``scheme:user@host`` without port, params or headers (lowercase
        scheme and host), the key a registrar files bindings under."""
        if self.host is None:
            if self.scheme == "tel" and self.user is not None:
                return f"tel:{self.user}"
            return self.text
        host = self.host.lower()
        return f"{self.scheme}:{self.user}@{host}" if self.user else f"{self.scheme}:{host}"


class NameAddr(NamedTuple):
    """A name-addr or addr-spec with its header params (From, To, Contact, Route, ...)."""

    display_name: Optional[str]
    uri: URI
    params: Params


class Via(NamedTuple):
    """One via-parm (RFC 3261 §20.42): ``SIP/2.0/UDP host:port;params``."""

    protocol: str
    transport: str
    host: str
    port: Optional[int]
    params: Params

    @property
    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def branch(self) -> Optional[str]:
        return self.params.get("branch")


class Auth(NamedTuple):
    """A challenge or credentials (RFC 3261 §25.1 / RFC 7235): ``Digest realm="x", nonce="y"``.

    ``params`` maps lowercase names to unquoted values; ``token`` holds a token68 form
    (``Basic dXNlcjpwYXNz``) when the scheme uses one.
    """

    scheme: str
    params: dict[str, str]
    token: Optional[str]


class CSeq(NamedTuple):
    number: int
    method: str
