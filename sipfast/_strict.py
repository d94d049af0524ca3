# Strict mode's header grammar checks, shared by both parser twins so their verdicts cannot drift.
#
# Each twin tokenizes the message itself (start line, header lines, framing) and then hands its
# index and its own value parsers here; the structured values are parsed by the twin, in C or in
# Python, and only the dispatch and the small scalar grammars below are common code.
from __future__ import annotations

import re
from typing import Any, Callable, Protocol

from .errors import SIPParseError

DELTA_MAX = 2**32 - 1

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
_TOKEN_RE = re.compile(_TOKEN + r"\Z")
# word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" /
#        "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" )
# callid = word [ "@" word ]
_WORD = r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+"
_CALLID_RE = re.compile(_WORD + r"(?:@" + _WORD + r")?\Z")
# delta-seconds = 1*DIGIT
_DIGITS_RE = re.compile(r"[0-9]+\Z")
# rfc1123-date = wkday "," SP date1 SP time SP "GMT"
# date1 = 2DIGIT SP month SP 4DIGIT;  time = 2DIGIT ":" 2DIGIT ":" 2DIGIT
_DATE_RE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT\Z"
)
# media-type = m-type SLASH m-subtype *(SEMI m-parameter)
_MEDIA_RE = re.compile(r"(" + _TOKEN + r")[ \t]*/[ \t]*(" + _TOKEN + r")[ \t]*(;.*)?\Z", re.S)
# warning-value = warn-code SP warn-agent SP warn-text;  warn-code = 3DIGIT
_WARNING_RE = re.compile(r"[0-9]{3} [^ \t\",]+ (\"(?:[^\"\\]|\\.)*\")\Z", re.S)
# Retry-After = delta-seconds [ comment ] *( SEMI retry-param )
_RETRY_RE = re.compile(r"([0-9]+)[ \t]*(\([^)]*\))?[ \t]*(;.*)?\Z", re.S)
# Timestamp = 1*(DIGIT) [ "." *(DIGIT) ] [ LWS delay ]
_TIMESTAMP_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[ \t]+[0-9]*(?:\.[0-9]*)?)?\Z")
# MIME-Version = 1*DIGIT "." 1*DIGIT
_MIME_RE = re.compile(r"[0-9]+\.[0-9]+\Z")


class Index(Protocol):
    is_request: bool
    method: Any

    def __len__(self) -> int: ...
    def name(self, i: int) -> str: ...
    def value(self, i: int) -> str: ...
    def offset(self, i: int) -> int: ...


Parsers = dict[str, Callable[..., Any]]


class _Fail(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail


def _delta(value: str, reason: str, what: str) -> None:
    if not _DIGITS_RE.match(value) or int(value) > DELTA_MAX:
        raise _Fail(reason, f"{what} {value[:30]!r} is not delta-seconds")


def _tokens(value: str, p: Parsers) -> None:
    for elem in p["split_list"](value, True):
        if not _TOKEN_RE.match(elem):
            raise _Fail("bad-header", f"{elem[:30]!r} is not a token")


def _name_addrs(value: str, p: Parsers, bracketed: bool = False) -> None:
    for elem in p["split_list"](value, True):
        na = p["parse_name_addr"](elem, True)
        if bracketed and "<" not in elem:
            raise _Fail("bad-name-addr", "a route must be written as <URI>")
        del na


def _via(value: str, p: Parsers) -> None:
    elems = p["split_list"](value, True)
    if not elems:
        raise _Fail("bad-via", "empty Via")
    for elem in elems:
        via = p["parse_via"](elem, True)
        ttl = via.params.get("ttl")
        if ttl is not None and (not _DIGITS_RE.match(ttl) or int(ttl) > 255):
            raise _Fail("bad-via", f"ttl {ttl!r} out of range")


def _contact(value: str, p: Parsers) -> None:
    # Contact = ("Contact" / "m" ) HCOLON ( STAR / (contact-param *(COMMA contact-param)))
    if value == "*":
        return
    elems = p["split_list"](value, True)
    if not elems:
        raise _Fail("bad-name-addr", "empty Contact")
    for elem in elems:
        na = p["parse_name_addr"](elem, True)
        expires = na.params.get("expires")
        if expires is not None:
            _delta(expires, "bad-params", "contact expires")
        q = na.params.get("q")
        # qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
        if q is not None and not re.match(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)\Z", q):
            raise _Fail("bad-params", f"q {q!r} is not a qvalue")


def _single_name_addr(value: str, p: Parsers) -> None:
    p["parse_name_addr"](value, True)


def _call_id(value: str, p: Parsers) -> None:
    if not _CALLID_RE.match(value):
        raise _Fail("bad-call-id", "Call-ID is not word [ '@' word ]")


def _max_forwards(value: str, p: Parsers) -> None:
    # Max-Forwards = "Max-Forwards" HCOLON 1*DIGIT, at most 255 (RFC 3261 §8.1.1.6)
    if not _DIGITS_RE.match(value) or int(value) > 255:
        raise _Fail("bad-max-forwards", f"Max-Forwards {value[:30]!r} is not 0..255")


def _expires(value: str, p: Parsers) -> None:
    _delta(value, "bad-expires", "Expires")


def _content_type(value: str, p: Parsers) -> None:
    m = _MEDIA_RE.match(value)
    if not m:
        raise _Fail("bad-content-type", f"{value[:40]!r} is not a media type")
    if m.group(3):
        p["parse_params"](m.group(3), True)


def _date(value: str, p: Parsers) -> None:
    if not _DATE_RE.match(value):
        raise _Fail("bad-date", f"{value[:40]!r} is not an RFC 1123 date in GMT")


def _retry_after(value: str, p: Parsers) -> None:
    m = _RETRY_RE.match(value)
    if not m:
        raise _Fail("bad-retry-after", "Retry-After is not delta-seconds")
    _delta(m.group(1), "bad-retry-after", "Retry-After")
    if m.group(3):
        p["parse_params"](m.group(3), True)


def _warning(value: str, p: Parsers) -> None:
    for elem in p["split_list"](value, True):
        if not _WARNING_RE.match(elem):
            raise _Fail("bad-warning", f"{elem[:40]!r} is not 3DIGIT SP agent SP quoted-text")


def _auth(value: str, p: Parsers) -> None:
    p["parse_auth"](value, True)


def _pattern(regex: re.Pattern[str], reason: str) -> Callable[[str, Parsers], None]:
    def check(value: str, p: Parsers) -> None:
        if not regex.match(value):
            raise _Fail(reason, f"{value[:40]!r} does not match the grammar")

    return check


_CHECKS: dict[str, Callable[[str, Parsers], None]] = {
    "Via": _via,
    "From": _single_name_addr,
    "To": _single_name_addr,
    "Reply-To": _single_name_addr,
    "Contact": _contact,
    "Route": lambda v, p: _name_addrs(v, p, True),
    "Record-Route": lambda v, p: _name_addrs(v, p, True),
    "Path": lambda v, p: _name_addrs(v, p, True),
    "Service-Route": lambda v, p: _name_addrs(v, p, True),
    "Call-ID": _call_id,
    "Max-Forwards": _max_forwards,
    "Expires": _expires,
    "Min-Expires": _expires,
    "Content-Type": _content_type,
    "Date": _date,
    "Retry-After": _retry_after,
    "Warning": _warning,
    "Allow": _tokens,
    "Require": _tokens,
    "Proxy-Require": _tokens,
    "Supported": _tokens,
    "Unsupported": _tokens,
    "Content-Encoding": _tokens,
    "Authorization": _auth,
    "Proxy-Authorization": _auth,
    "WWW-Authenticate": _auth,
    "Proxy-Authenticate": _auth,
    "Timestamp": _pattern(_TIMESTAMP_RE, "bad-header"),
    "MIME-Version": _pattern(_MIME_RE, "bad-header"),
}


def check_headers(ix: Index, parsers: Parsers) -> None:
    """Check the grammar of every header RFC 3261 defines; raise SIPParseError at the first fault.

    The error's offset is the start of the offending header line.
    """
    for i in range(len(ix)):
        check = _CHECKS.get(ix.name(i))
        if check is None:
            continue
        try:
            check(ix.value(i), parsers)
        except _Fail as exc:
            raise SIPParseError(exc.reason, ix.offset(i), f"{ix.name(i)}: {exc.detail}") from None
        except SIPParseError as exc:
            raise SIPParseError(exc.reason, ix.offset(i), f"{ix.name(i)}: {exc.detail}") from None
