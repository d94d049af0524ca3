"""SIP messages: ``Packet`` and its ``Request`` / ``Response``, in the spirit of Net::SIP::Packet.

A parsed message keeps the core's index and answers from it (the received bytes come back unchanged
from ``bytes(msg)``) until it is first changed; then it holds its own header list and is rebuilt on
serialization, with a correct Content-Length.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from . import _speedups
from ._values import CSeq
from .errors import SIPParseError

if TYPE_CHECKING:
    from .sdp import SDP

__all__ = ("REASONS", "Packet", "Request", "Response", "parse")

# Reason phrases (RFC 3261 §21 and the extensions that registered codes).
REASONS: dict[int, str] = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 199: "Early Dialog Terminated",
    200: "OK", 202: "Accepted", 204: "No Notification",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily", 305: "Use Proxy",
    380: "Alternative Service",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    407: "Proxy Authentication Required", 408: "Request Timeout", 410: "Gone",
    412: "Conditional Request Failed", 413: "Request Entity Too Large", 414: "Request-URI Too Long",
    415: "Unsupported Media Type", 416: "Unsupported URI Scheme", 417: "Unknown Resource-Priority",
    420: "Bad Extension", 421: "Extension Required", 422: "Session Interval Too Small",
    423: "Interval Too Brief", 424: "Bad Location Information", 428: "Use Identity Header",
    429: "Provide Referrer Identity", 430: "Flow Failed", 433: "Anonymity Disallowed",
    436: "Bad Identity-Info", 437: "Unsupported Certificate", 438: "Invalid Identity Header",
    439: "First Hop Lacks Outbound Support", 440: "Max-Breadth Exceeded", 469: "Bad Info Package",
    470: "Consent Needed", 480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
    482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here", 489: "Bad Event",
    491: "Request Pending", 493: "Undecipherable", 494: "Security Agreement Required",
    500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
    513: "Message Too Large", 555: "Push Notification Service Not Supported",
    580: "Precondition Failure",
    600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable",
    607: "Unwanted", 608: "Rejected",
}

MAGIC_COOKIE = "z9hG4bK"  # RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with it
# requests that create dialogs: their 101-299 responses carry the Record-Route set (RFC 3261 §12.1.1)
_DIALOG_METHODS = frozenset({"INVITE", "SUBSCRIBE", "REFER", "NOTIFY"})

HeaderValue = Union[str, int, Iterable[str]]
HeadersArg = Union[Mapping[str, HeaderValue], Iterable[tuple[str, str]], None]
BodyArg = Union[bytes, bytearray, str, "SDP", None]

_KEYS: dict[str, str] = {}
_authorize: Optional[Callable[..., bool]] = None


def _key(name: str) -> str:
    """Lookup key of a header name: compact forms and case folded to one spelling."""
    key = _KEYS.get(name)
    if key is None:
        key = _speedups.parser.canonical_name(name).lower()
        if len(_KEYS) < 4096:
            _KEYS[name] = key
    return key


def _values(value: HeaderValue) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, int):
        return [str(value)]
    return [str(v) for v in value]


def _check_value(name: str, value: str) -> str:
    # a value may not smuggle in a line end: that would forge headers on the wire
    if "\r" in value or "\n" in value:
        raise ValueError(f"line break in the value of header {name!r}")
    return value


class _Own:
    """A message's own state once it is built or changed: the reading interface of the core's
    index (so Packet reads one object either way) over a header list it may change."""

    __slots__ = ("body", "hdrs", "method", "reason", "status_code", "uri")

    data = None  # no received bytes to give back: Packet serializes

    def __init__(
        self,
        hdrs: list[tuple[str, str]],
        body: bytes = b"",
        method: Optional[str] = None,
        uri: Optional[str] = None,
        status_code: int = 0,
        reason: Optional[str] = None,
    ) -> None:
        self.hdrs = hdrs
        self.body = body
        self.method = method
        self.uri = uri
        self.status_code = status_code
        self.reason = reason

    def copy(self) -> _Own:
        return _Own(list(self.hdrs), self.body, self.method, self.uri, self.status_code, self.reason)

    def items(self) -> list[tuple[str, str]]:
        return list(self.hdrs)

    def get(self, name: str) -> Optional[str]:
        key = _key(name)
        for n, v in self.hdrs:
            if _key(n) == key:
                return v
        return None

    def get_all(self, name: str) -> list[str]:
        key = _key(name)
        return [v for n, v in self.hdrs if _key(n) == key]

    @property
    def call_id(self) -> Optional[str]:
        return self.get("Call-ID")

    @property
    def cseq(self) -> Optional[str]:
        return self.get("CSeq")

    @property
    def branch(self) -> Optional[str]:
        value = self.get("Via")
        if value is None:
            return None
        core = _speedups.parser
        elems = core.split_list(value)
        return core.parse_via(elems[0]).params.get("branch") if elems else None

    def _tag(self, name: str) -> Optional[str]:
        value = self.get(name)
        if value is None:
            return None
        return _speedups.parser.parse_name_addr(value).params.get("tag")

    @property
    def from_tag(self) -> Optional[str]:
        return self._tag("From")

    @property
    def to_tag(self) -> Optional[str]:
        return self._tag("To")


def _canonical_headers(headers: HeadersArg) -> list[tuple[str, str]]:
    canonical = _speedups.parser.canonical_name
    hdrs: list[tuple[str, str]] = []
    if headers is not None:
        items = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in items:
            cname = canonical(name)
            hdrs.extend((cname, _check_value(cname, v)) for v in _values(value))
    return hdrs


_new = object.__new__


def parse(
    data: Union[bytes, bytearray, memoryview, str],
    strict: bool = False,
    max_size: int = 65536,
    max_headers: int = 256,
) -> Packet:
    """Parse one message (a datagram or a Framer's output) into a Request or a Response.

    Raises SIPParseError with a stable ``.reason`` on bad input; ``max_size`` (octets) and
    ``max_headers`` bound what one message may cost.
    """
    ix = _speedups.parser.parse_message(data, strict, max_size, max_headers)
    msg: Packet = _new(Request if ix.is_request else Response)
    msg._ix = ix
    return msg


class Packet:
    """Base of Request and Response: headers, body, serialization."""

    __slots__ = ("_ix",)

    is_request: bool = False
    is_response: bool = False

    # The core's MessageIndex while the message is as received, an _Own once built or changed.
    # Both answer items / get / get_all / body / the start line and the transaction fields, so the
    # readers below need not know which; the hot fields are C-level getters (no Python frame).
    _ix: Any

    parse = staticmethod(parse)

    def _own(self) -> list[tuple[str, str]]:
        """The header list, taken over from the index on the first change."""
        ix = self._ix
        if type(ix) is _Own:
            return ix.hdrs
        own = _Own(ix.items(), ix.body, ix.method, ix.uri, ix.status_code, ix.reason)
        self._ix = own
        return own.hdrs

    # --- headers ------------------------------------------------------------------------------

    @property
    def headers(self) -> list[tuple[str, str]]:
        """Every header as (canonical name, value), in order (a copy)."""
        return self._ix.items()  # type: ignore[no-any-return]

    def _raw_values(self, name: str) -> list[str]:
        return self._ix.get_all(name)  # type: ignore[no-any-return]

    def get_headers(self, name: str) -> list[str]:
        """Every value of a header (any name form); comma lists split for list headers."""
        values: list[str] = self._ix.get_all(name)
        core = _speedups.parser
        if values and core.is_list_header(name):
            split = core.split_list
            return [elem for v in values for elem in split(v)]
        return values

    def get_header(self, name: str) -> Optional[str]:
        """The first value of a header (any name form), or None."""
        if _speedups.parser.is_list_header(name):
            values = self.get_headers(name)
            return values[0] if values else None
        return self._ix.get(name)  # type: ignore[no-any-return]

    def add_header(self, name: str, value: HeaderValue) -> None:
        """Append a header (a list of values adds one header line each)."""
        cname = _speedups.parser.canonical_name(name)
        self._own().extend((cname, _check_value(cname, v)) for v in _values(value))

    def insert_header(self, name: str, value: HeaderValue) -> None:
        """Insert a header above the existing ones of that name (at the top if there are none),
        as a new Via or Record-Route goes."""
        cname = _speedups.parser.canonical_name(name)
        hdrs = self._own()
        key = cname.lower()
        pos = next((i for i, (n, _) in enumerate(hdrs) if _key(n) == key), 0)
        hdrs[pos:pos] = [(cname, _check_value(cname, v)) for v in _values(value)]

    def set_header(self, name: str, value: Optional[HeaderValue]) -> None:
        """Replace every header of that name with value (a list: one line each; None: delete),
        at the place of the first one (appended if there was none)."""
        cname = _speedups.parser.canonical_name(name)
        key = cname.lower()
        hdrs = self._own()
        new = [] if value is None else [(cname, _check_value(cname, v)) for v in _values(value)]
        pos = -1
        kept: list[tuple[str, str]] = []
        for item in hdrs:
            if _key(item[0]) == key:
                if pos < 0:
                    pos = len(kept)
            else:
                kept.append(item)
        if pos < 0:
            pos = len(kept)
        kept[pos:pos] = new
        hdrs[:] = kept

    def del_header(self, name: str) -> None:
        """Remove every header of that name."""
        self.set_header(name, None)

    # --- body ---------------------------------------------------------------------------------

    body = property(attrgetter("_ix.body"), doc="The body (bytes).")

    def set_body(self, body: BodyArg, content_type: Optional[str] = None) -> None:
        """Set the body (str is UTF-8 encoded; an SDP sets Content-Type application/sdp).

        Content-Length follows the body; Content-Type is set when given (or implied by an SDP),
        and removed with an empty body."""
        if body is None:
            data = b""
        elif isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = bytes(body)
            if content_type is None:
                content_type = getattr(body, "content_type", None)
        self._own()
        self._ix.body = data
        if content_type is not None:
            self.set_header("Content-Type", content_type)
        elif not data:
            self.del_header("Content-Type")
        self.set_header("Content-Length", str(len(data)))

    def sdp_body(self) -> Optional[SDP]:
        """The SDP of the body (application/sdp, or the SDP part of a multipart body), or None."""
        body = self.body
        if not body:
            return None
        from .sdp import find_sdp

        return find_sdp(self.get_header("Content-Type"), body)

    # --- the fields a transaction layer reads -------------------------------------------------

    call_id = property(attrgetter("_ix.call_id"), doc="The Call-ID, or None.")
    cseq = property(attrgetter("_ix.cseq"), doc='The raw CSeq value (``"314159 INVITE"``), or None.')
    from_tag = property(attrgetter("_ix.from_tag"), doc="The tag param of From, or None.")
    to_tag = property(attrgetter("_ix.to_tag"), doc="The tag param of To, or None.")
    branch = property(attrgetter("_ix.branch"), doc="The branch param of the topmost Via, or None.")

    def _parsed_cseq(self) -> CSeq:
        value = self._ix.cseq
        if value is None:
            raise SIPParseError("missing-header", -1, "no CSeq header")
        return _speedups.parser.parse_cseq(value)

    @property
    def cseq_number(self) -> int:
        return self._parsed_cseq().number

    @property
    def cseq_method(self) -> str:
        return self._parsed_cseq().method

    @property
    def tid(self) -> str:
        """Net::SIP's transaction id: ``"<CSeq number> <Call-ID>"``."""
        return f"{self.cseq_number} {self.call_id}"

    @property
    def transaction_key(self) -> tuple[str, ...]:
        """The RFC 3261 §17.2.3 matching key: (branch, sent-by, method), with ACK and CANCEL
        mapped to INVITE; for a top Via without the magic cookie, the RFC 2543 fields instead."""
        core = _speedups.parser
        top = self.get_header("Via")
        if top is None:
            raise SIPParseError("missing-header", -1, "no Via header")
        via = core.parse_via(top)
        method = self.cseq_method
        if method in ("ACK", "CANCEL"):
            method = "INVITE"
        branch = via.params.get("branch")
        if branch is not None and branch.startswith(MAGIC_COOKIE):
            return (branch, via.sent_by.lower(), method)
        # RFC 2543 (§17.2.3 second part): Request-URI, To tag, From tag, Call-ID, CSeq number, top Via
        uri = self.uri if isinstance(self, Request) else ""
        return (
            uri,
            self.to_tag or "",
            self.from_tag or "",
            self.call_id or "",
            str(self.cseq_number),
            top,
        )

    # --- serialization ------------------------------------------------------------------------

    def _start_line(self) -> str:
        raise NotImplementedError

    def __bytes__(self) -> bytes:
        ix = self._ix
        if type(ix) is not _Own:
            return ix.data  # type: ignore[no-any-return]
        body = ix.body
        lines = [self._start_line()]
        has_length = False
        for name, value in ix.hdrs:
            if name == "Content-Length":
                if has_length:
                    continue
                value = str(len(body))
                has_length = True
            lines.append(f"{name}: {value}")
        if not has_length:
            lines.append(f"Content-Length: {len(body)}")
        lines.append("")
        lines.append("")
        return "\r\n".join(lines).encode("utf-8", "surrogateescape") + body

    as_bytes = __bytes__

    def __str__(self) -> str:
        return bytes(self).decode("utf-8", "replace")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Packet):
            return NotImplemented
        return (
            self.is_request == other.is_request
            and self._start_line() == other._start_line()
            and self._framed_headers() == other._framed_headers()
            and self.body == other.body
        )

    def _framed_headers(self) -> list[tuple[str, str]]:
        # Content-Length is derived from the body: equality leaves it out
        return [h for h in self.headers if h[0] != "Content-Length"]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._start_line()!r}>"

    def copy(self) -> Packet:
        """An independent copy (changing it leaves this one alone)."""
        new: Packet = _new(type(self))
        ix = self._ix
        new._ix = ix.copy() if type(ix) is _Own else ix  # a core index is read-only: shared
        return new


class Request(Packet):
    """A SIP request: ``Request("REGISTER", "sip:example.com", headers={...}, body=...)``."""

    __slots__ = ()

    is_request = True
    is_response = False

    def __init__(self, method: str, uri: str, headers: HeadersArg = None, body: BodyArg = None) -> None:
        if not method or any(c in method for c in " \t\r\n"):
            raise ValueError(f"bad method {method!r}")
        if not uri or any(c in uri for c in " \t\r\n"):
            raise ValueError(f"bad Request-URI {uri!r}")
        self._ix = _Own(_canonical_headers(headers), method=method, uri=uri)
        if body is not None:
            self.set_body(body)

    def _start_line(self) -> str:
        return f"{self.method} {self.uri} SIP/2.0"

    method = property(attrgetter("_ix.method"), doc="The method.")
    uri = property(attrgetter("_ix.uri"), doc="The Request-URI as written.")

    def set_uri(self, uri: str) -> None:
        if not uri or any(c in uri for c in " \t\r\n"):
            raise ValueError(f"bad Request-URI {uri!r}")
        self._own()
        self._ix.uri = uri

    def set_cseq(self, number: int) -> None:
        """Set the CSeq number, keeping the method."""
        method = self.cseq_method if self.cseq is not None else self.method
        self.set_header("CSeq", f"{int(number)} {method}")

    def _dialog_copy(self, method: str, to: Optional[str]) -> Request:
        # RFC 3261 §9.1 (CANCEL) and §17.1.1.3 (ACK): Call-ID, From, the top Via with its branch,
        # the Route set and CSeq number; like Net::SIP, the credentials too (RFC 3261 §22.1).
        headers: list[tuple[str, str]] = []
        top = self.get_header("Via")
        if top is not None:
            headers.append(("Via", top))
        headers.append(("Max-Forwards", "70"))
        for name in ("From",):
            value = self.get_header(name)
            if value is not None:
                headers.append((name, value))
        if to is not None:
            headers.append(("To", to))
        call_id = self.call_id
        if call_id is not None:
            headers.append(("Call-ID", call_id))
        headers.append(("CSeq", f"{self.cseq_number} {method}"))
        headers.extend(("Route", r) for r in self._raw_values("Route"))
        for name in ("Authorization", "Proxy-Authorization"):
            headers.extend((name, v) for v in self._raw_values(name))
        return Request(method, self.uri, headers)

    def create_ack(self, response: Response) -> Request:
        """The ACK for a non-2xx final response to this INVITE (RFC 3261 §17.1.1.3): To from the
        response (with its tag), the same top Via and branch, Route copied, CSeq number kept."""
        return self._dialog_copy("ACK", response.get_header("To"))

    def create_cancel(self) -> Request:
        """The CANCEL of this request (RFC 3261 §9.1): same Request-URI, Call-ID, From, To,
        top Via and CSeq number, Route copied."""
        return self._dialog_copy("CANCEL", self.get_header("To"))

    def create_response(
        self,
        code: int,
        msg: Optional[str] = None,
        headers: HeadersArg = None,
        body: BodyArg = None,
    ) -> Response:
        """A response to this request (RFC 3261 §8.2.6): Via (all), From, To, Call-ID and CSeq
        copied; a To-tag added unless the request had one or code is 100; Record-Route copied on
        101-299 to a dialog-creating request; Timestamp echoed on 100. ``headers`` are added (or,
        with the same name, replace)."""
        out: list[tuple[str, str]] = [("Via", v) for v in self._raw_values("Via")]
        if 100 < code < 300 and self.method in _DIALOG_METHODS:
            out.extend(("Record-Route", v) for v in self._raw_values("Record-Route"))
        frm = self.get_header("From")
        if frm is not None:
            out.append(("From", frm))
        to = self.get_header("To")
        if to is not None:
            if code != 100 and self._to_tag_or_none() is None:
                to = f"{to};tag={secrets.token_hex(6)}"
            out.append(("To", to))
        call_id = self.call_id
        if call_id is not None:
            out.append(("Call-ID", call_id))
        cseq = self.cseq
        if cseq is not None:
            out.append(("CSeq", cseq))
        if code == 100:
            out.extend(("Timestamp", v) for v in self._raw_values("Timestamp"))
        resp = Response(code, msg, out)
        if headers:
            items = headers.items() if isinstance(headers, Mapping) else list(headers)
            replaced: set[str] = set()
            for name, value in items:
                key = _key(name)
                if key not in replaced and resp.get_header(name) is not None:
                    resp.set_header(name, value)
                    replaced.add(key)
                else:
                    resp.add_header(name, value)
                    replaced.add(key)
        if body is not None:
            resp.set_body(body)
        return resp

    def _to_tag_or_none(self) -> Optional[str]:
        # a To that does not parse is echoed as it is, without a tag of ours
        try:
            return self.to_tag  # type: ignore[no-any-return]
        except SIPParseError:
            return ""

    def authorize(self, response: Response, auth: Any) -> bool:
        """Answer the digest challenges of a 401 / 407 response in this request (Net::SIP's
        ``authorize``): ``auth`` is (user, password), {realm: (user, password)} or a callable
        realm -> (user, password) | None. Returns False, request untouched, when nothing could be
        answered."""
        global _authorize
        if _authorize is None:  # auth.py builds on this module: bind it on first use
            from .auth import authorize

            _authorize = authorize
        return _authorize(self, response, auth)


class Response(Packet):
    """A SIP response: ``Response(200, "OK", headers={...})``; reason defaults from REASONS."""

    __slots__ = ()

    is_request = False
    is_response = True

    def __init__(
        self, code: int, reason: Optional[str] = None, headers: HeadersArg = None, body: BodyArg = None
    ) -> None:
        code = int(code)
        if not 100 <= code <= 699:
            raise ValueError(f"status code {code} out of range")
        if reason is None:
            reason = REASONS.get(code, "")
        if "\r" in reason or "\n" in reason:
            raise ValueError("line break in the reason phrase")
        self._ix = _Own(_canonical_headers(headers), status_code=code, reason=reason)
        if body is not None:
            self.set_body(body)

    def _start_line(self) -> str:
        return f"SIP/2.0 {self.code} {self.reason}"

    code = property(attrgetter("_ix.status_code"), doc="The status code.")
    reason = property(attrgetter("_ix.reason"), doc="The reason phrase.")

    @property
    def method(self) -> str:
        """The method of the request this answers (from CSeq), as Net::SIP's Response->method."""
        return self.cseq_method
