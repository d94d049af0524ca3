# The pure-Python twin of the parser core: one pass over the lines, values decoded when first read.
#
# Same names, results and exceptions as _parser_c.pyx. Header values are parsed by small
# hand-written scanners over str (offsets in their errors are character indices); the message
# tokenizer works on bytes (offsets in its errors are byte offsets into the input).
from __future__ import annotations

import re
from typing import Callable, Optional, Union

from . import _headers, _strict
from ._values import URI, Auth, CSeq, NameAddr, Params, Via
from .errors import SIPParseError

__all__ = (
    "DEFAULT_MAX_HEADERS",
    "DEFAULT_MAX_SIZE",
    "Framer",
    "MessageIndex",
    "canonical_name",
    "is_list_header",
    "parse_auth",
    "parse_cseq",
    "parse_message",
    "parse_name_addr",
    "parse_params",
    "parse_uri",
    "parse_via",
    "split_list",
    "unescape",
    "unquote",
)

DEFAULT_MAX_SIZE = 65536
DEFAULT_MAX_HEADERS = 256
CSEQ_MAX = 2**32 - 1  # RFC 3261 §20.16: a 32-bit unsigned integer ...
CSEQ_MAX_STRICT = 2**31 - 1  # ... and MUST be less than 2**31

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")
_TOKEN_BYTES = frozenset(ord(c) for c in _TOKEN_CHARS)
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WS = " \t"
# unreserved = alphanum / mark;  mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
_UNRESERVED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()")
# user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
_USER_CHARS = _UNRESERVED | frozenset("&=+$,;?/%")
# password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
_PASSWORD_CHARS = _UNRESERVED | frozenset("&=+$,%")
# paramchar = param-unreserved / unreserved / escaped; param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$"
_PARAM_CHARS = _UNRESERVED | frozenset("[]/:&+$%")
# hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"
_HNV_CHARS = _UNRESERVED | frozenset("[]/?:+$%")
# hostname = *( domainlabel "." ) toplabel [ "." ]; IPv4address; IPv6reference = "[" IPv6address "]"
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
_IPV6_CHARS = frozenset("0123456789abcdefABCDEF:.")
# gen-value = token / host / quoted-string (host adds ":" "[" "]" for IPv6 references)
_GEN_VALUE_CHARS = _TOKEN_CHARS | frozenset("[]:")
# uric (RFC 2396) for absolute URIs of other schemes
_URIC_CHARS = _UNRESERVED | frozenset(";/?:@&=+$,%#[]")
# token68 (RFC 7235 §2.1)
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*\Z")

_ESCAPE_RE = re.compile(rb"%([0-9A-Fa-f]{2})")
# the first character outside a class, found by one regex search instead of a Python loop
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9\-.!%*_+`'~]")
_NOT_GEN_VALUE = re.compile(r"[^A-Za-z0-9\-.!%*_+`'~\[\]:]")
_NOT_DIGIT = re.compile(r"[^0-9]")
_NOT_HOST = re.compile(r"[^A-Za-z0-9\-.]")
_NOT_IPV6 = re.compile(r"[^0-9A-Fa-f:.]")
_BAD_LENIENT_HOST = re.compile(r'[ \t;,?<>"@\[\]]')
_NOT_SCHEME = re.compile(r"[^A-Za-z0-9+\-.]")
_NOT_TEL = re.compile(r"[^A-Za-z0-9\-_.!~*'()%+#]")
_BAD_ABSOLUTE = re.compile(r'[ \t\r\n<>"]')
_HOSTPORT_END = re.compile(r"[;?]")
_NAME_BAD_STRICT = re.compile(rb"[^A-Za-z0-9\-.!%*_+`'~]")
_NAME_BAD_LENIENT = re.compile(rb"[\x00-\x20\x7f]")
_REASON_BAD = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_QUOTED_PAIR_RE = re.compile(r"\\(.)", re.S)
_VERSION = b"SIP/2.0"

# Fast paths: a regex that matches only the plain, common forms; for those they give exactly what
# the general scanners give (the differential tests against the C twin hold both to that), and
# anything else falls through to the general scanners.
_TOK = r"[A-Za-z0-9\-.!%*_+`'~]+"
_VIA_FAST = re.compile(
    r"(" + _TOK + r")/(" + _TOK + r")/(" + _TOK + r") ([A-Za-z0-9\-.]+)(?::([0-9]{1,5}))?(;.*)?\Z", re.S
)
_NAME_ADDR_FAST = re.compile(r'(?:"([^"\\]*)"[ \t]*|([^"<;]*))<([^>]*)>[ \t]*(;.*)?\Z', re.S)
_SIP_URI_FAST = re.compile(r"([sS][iI][pP][sS]?):(?:([^@:%]+)@)?([A-Za-z0-9\-.]+)(?::([0-9]{1,5}))?(;[^?% \t]*)?\Z")
_CSEQ_FAST = re.compile(r"([0-9]{1,9}) (" + _TOK + r")\Z")


def _err(reason: str, offset: int, detail: str = "", status: int = 400) -> SIPParseError:
    return SIPParseError(reason, offset, detail, status)


def _shifted(exc: SIPParseError, by: int) -> SIPParseError:
    """The same error with its offset moved from a substring into the enclosing string."""
    return SIPParseError(exc.reason, exc.offset + by if exc.offset >= 0 else by, exc.detail, exc.status)


# --------------------------------------------------------------------------------------------
# header names


_KEY_CACHE: dict[str, tuple[int, str, str]] = {}


def _info_of(raw: bytes) -> tuple[int, str, str]:
    # header id (or -1), canonical spelling, lookup key: compact forms and case (ASCII) folded
    key = raw.lower().decode("utf-8", "surrogateescape")
    known = _headers.LOOKUP.get(key)
    if known is not None:
        return (known[0], known[1], known[1].lower())
    return (-1, raw.decode("utf-8", "surrogateescape"), key)


def _name_info(name: str) -> tuple[int, str, str]:
    """(header id or -1, canonical spelling, lookup key) for a header name in any form."""
    info = _KEY_CACHE.get(name)
    if info is None:
        info = _info_of(name.strip(_WS).encode("utf-8", "surrogateescape"))
        if len(_KEY_CACHE) < 4096:
            _KEY_CACHE[name] = info
    return info


def canonical_name(name: str) -> str:
    """The canonical spelling of a header name: compact forms and any case map to one name;
    unknown names come back as given (whitespace stripped)."""
    return _name_info(name)[1]


def is_list_header(name: str) -> bool:
    """True for headers whose grammar is a comma-separated list (Via, Contact, Route, ...)."""
    return _name_info(name)[0] in _headers.LIST_IDS


# --------------------------------------------------------------------------------------------
# small scanners over str


def _skip_ws(s: str, i: int) -> int:
    n = len(s)
    while i < n and s[i] in _WS:
        i += 1
    return i


def _scan_quoted(s: str, i: int) -> int:
    """End (exclusive) of the quoted-string starting at s[i] == '"'.

    quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE;  quoted-pair = "\\" (any char)
    """
    n = len(s)
    j = i + 1
    while j < n:
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            return j + 1
        j += 1
    raise _err("bad-quoted-string", i, "quoted string is not closed")


def unquote(s: str) -> str:
    """The content of a quoted-string (quotes removed, quoted-pairs resolved); other text as is."""
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        inner = s[1:-1]
        return _QUOTED_PAIR_RE.sub(r"\1", inner) if "\\" in inner else inner
    return s


def _check_quoted(s: str, i: int, j: int) -> None:
    # qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII; quoted-pair excludes CR and LF
    k = i + 1
    while k < j - 1:
        c = s[k]
        if c == "\\":
            if s[k + 1] in "\r\n":
                raise _err("bad-quoted-string", k, "CR or LF in a quoted-pair")
            k += 2
            continue
        o = ord(c)
        if (o < 0x20 and c != "\t") or o == 0x7F:
            raise _err("bad-quoted-string", k, "control character in a quoted string")
        k += 1


def unescape(s: str) -> str:
    """Resolve %HH escapes (the octets decoded as UTF-8, invalid ones surrogate-escaped);
    a % not followed by two hex digits is kept as is."""
    if "%" not in s:
        return s
    raw = s.encode("utf-8", "surrogateescape")
    return _ESCAPE_RE.sub(lambda m: bytes((int(m.group(1), 16),)), raw).decode("utf-8", "surrogateescape")


def _check_chars(s: str, allowed: frozenset[str], reason: str, base: int, what: str) -> None:
    # escaped = "%" HEXDIG HEXDIG, where allowed contains "%"
    n = len(s)
    i = 0
    while i < n:
        c = s[i]
        if c not in allowed:
            raise _err(reason, base + i, f"{c!r} not allowed in {what}")
        if c == "%":
            if i + 2 >= n or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                raise _err(reason, base + i, f"bad escape in {what}")
            i += 3
            continue
        i += 1


_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}


def _lower(s: str) -> str:
    """ASCII-only lowercase (what the C twin does): non-ASCII letters are left alone."""
    return s.lower() if s.isascii() else s.translate(_ASCII_LOWER)


def _is_token(s: str) -> bool:
    return bool(s) and all(c in _TOKEN_CHARS for c in s)


# --------------------------------------------------------------------------------------------
# lists and params


def split_list(value: str, strict: bool = False) -> list[str]:
    """Split a list header's value at commas outside quotes and <>; elements are stripped.

    Empty elements are dropped, or raise ``bad-list`` with strict=True.
    """
    if "," not in value and '"' not in value:
        v = value.strip(_WS)
        if v:
            return [v]
        if strict and value:
            raise _err("bad-list", 0, "empty list element")
        return []
    parts: list[str] = []
    n = len(value)
    start = 0
    i = 0
    angle = False
    while i < n:
        c = value[i]
        if c == '"' and not angle:
            i = _scan_quoted(value, i)
            continue
        if c == "<":
            angle = True
        elif c == ">":
            angle = False
        elif c == "," and not angle:
            part = value[start:i].strip(_WS)
            if part:
                parts.append(part)
            elif strict:
                raise _err("bad-list", i, "empty list element")
            start = i + 1
        i += 1
    part = value[start:].strip(_WS)
    if part:
        parts.append(part)
    elif strict:
        raise _err("bad-list", n, "empty list element")
    return parts


def _split_semis(s: str, start: int, quotes: bool) -> list[tuple[int, int]]:
    """Spans of the ';'-separated elements of s[start:], outside quoted strings if quotes."""
    spans: list[tuple[int, int]] = []
    n = len(s)
    i = begin = start
    while i < n:
        c = s[i]
        if c == '"' and quotes:
            i = _scan_quoted(s, i)
            continue
        if c == ";":
            spans.append((begin, i))
            begin = i + 1
        i += 1
    spans.append((begin, n))
    return spans


def parse_params(s: str, strict: bool = False) -> Params:
    """Parse generic parameters ``;name=value;flag`` (the leading ';' is optional).

    generic-param = token [ EQUAL gen-value ];  gen-value = token / host / quoted-string
    Names are lowercased; values are kept as written (quotes included), None for a flag.
    An empty element (``;;``) raises ``bad-params`` in both modes.
    """
    if not strict and '"' not in s:
        fast = _params_fast(s)
        if fast is not None:
            return fast
    params: Params = {}
    i = _skip_ws(s, 0)
    if i >= len(s):
        return params
    if s[i] == ";":
        i += 1
    for a, b in _split_semis(s, i, True):
        eq = s.find("=", a, b)
        if eq < 0:
            name = s[a:b].strip(_WS)
            value: Optional[str] = None
        else:
            name = s[a:eq].strip(_WS)
            value = s[eq + 1 : b].strip(_WS)
        if not name:
            raise _err("bad-params", a, "empty parameter")
        if strict and not _is_token(name):
            raise _err("bad-params", a, f"parameter name {name!r} is not a token")
        if value is not None:
            if value[:1] == '"':
                vstart = s.index('"', eq)
                end = _scan_quoted(s, vstart)
                if s[end:b].strip(_WS):
                    raise _err("bad-params", end, "text after a quoted parameter value")
                if strict:
                    _check_quoted(s, vstart, end)
            elif not value or (strict and _NOT_GEN_VALUE.search(value)):
                raise _err("bad-params", eq + 1, f"bad value for parameter {name!r}")
        key = _lower(name)
        if key not in params:
            params[key] = value
    return params


def _params_fast(s: str) -> Optional[Params]:
    # parse_params without quotes, lenient: the same answer, or None to let the full scan decide
    t = s.lstrip(_WS)
    if not t:
        return {}
    if t[0] == ";":
        t = t[1:]
    params: Params = {}
    for part in t.split(";"):
        name, eq, value = part.partition("=")
        name = name.strip(_WS)
        if not name:
            return None
        if eq:
            value = value.strip(_WS)
            if not value:
                return None
            v: Optional[str] = value
        else:
            v = None
        key = _lower(name)
        if key not in params:
            params[key] = v
    return params


# --------------------------------------------------------------------------------------------
# URIs


def _uri_params(s: str, start: int, end: int, strict: bool, base: int) -> Params:
    # uri-parameters = *( ";" uri-parameter );  uri-parameter = pname [ "=" pvalue ]
    params: Params = {}
    for a, b in _split_semis(s[:end], start, False):
        part = s[a:b]
        if not strict:
            part = part.strip(_WS)
        if not part:
            raise _err("bad-uri", base + a, "empty URI parameter")
        name, eq, value = part.partition("=")
        if strict:
            _check_chars(name, _PARAM_CHARS, "bad-uri", base + a, "a URI parameter")
            if eq:
                _check_chars(value, _PARAM_CHARS, "bad-uri", base + a + len(name) + 1, "a URI parameter")
        if not name or (eq and not value and strict):
            raise _err("bad-uri", base + a, "bad URI parameter")
        key = _lower(unescape(name.strip(_WS)))
        if key not in params:
            params[key] = unescape(value.strip(_WS)) if eq else None
    return params


def _uri_params_fast(p: str) -> Optional[Params]:
    # _uri_params for text without escapes: the same answer, or None to let it decide
    params: Params = {}
    for part in p[1:].split(";"):
        name, eq, value = part.partition("=")
        name = name.strip(_WS)
        if not name:
            return None
        key = _lower(name)
        if key not in params:
            params[key] = value.strip(_WS) if eq else None
    return params


def _uri_headers(s: str, start: int, strict: bool, base: int) -> dict[str, str]:
    # headers = "?" header *( "&" header );  header = hname "=" hvalue
    headers: dict[str, str] = {}
    pos = start
    for part in s[start:].split("&"):
        name, eq, value = part.partition("=")
        if not name or not eq:
            raise _err("bad-uri", base + pos, "bad URI header")
        if strict:
            _check_chars(name, _HNV_CHARS, "bad-uri", base + pos, "a URI header")
            _check_chars(value, _HNV_CHARS, "bad-uri", base + pos + len(name) + 1, "a URI header")
        key = unescape(name)
        if key not in headers:
            headers[key] = unescape(value)
        pos += len(part) + 1
    return headers


def _parse_port(text: str, base: int, reason: str) -> int:
    # port = 1*DIGIT
    if not text or len(text) > 5 or _NOT_DIGIT.search(text) or int(text) > 65535:
        raise _err(reason, base, f"bad port {text!r}")
    return int(text)


def _check_host(host: str, strict: bool, base: int, reason: str) -> None:
    # host = hostname / IPv4address / IPv6reference (an IPv6 reference keeps its brackets)
    if not host:
        raise _err(reason, base, "empty host")
    if host[0] == "[":
        if len(host) < 4 or host[-1] != "]" or ":" not in host or _NOT_IPV6.search(host, 1, len(host) - 1):
            raise _err(reason, base, f"bad IPv6 reference {host!r}")
    elif strict:
        if _NOT_HOST.search(host):
            raise _err(reason, base, f"bad host {host!r}")
    elif _BAD_LENIENT_HOST.search(host):
        raise _err(reason, base, f"bad host {host!r}")


def _parse_host(hp: str, strict: bool, base: int, reason: str) -> tuple[str, Optional[int]]:
    """hostport = host [ ":" port ]"""
    if hp[:1] == "[":
        close = hp.find("]")
        split = close + 1 if close >= 0 else len(hp)
        if split < len(hp) and hp[split] != ":":
            raise _err(reason, base + split, "text after the IPv6 reference")
    else:
        split = hp.find(":")
        if split < 0:
            split = len(hp)
    host = hp[:split]
    _check_host(host, strict, base, reason)
    if split >= len(hp):
        return host, None
    return host, _parse_port(hp[split + 1 :], base + split + 1, reason)


def _uri_fast(s: str) -> Optional[URI]:
    # a plain sip/sips URI without escapes or password: parse_uri's answer, or None
    m = _SIP_URI_FAST.match(s)
    if m is None or (m.group(2) is None and "@" in s):
        return None
    port_text = m.group(4)
    port = None if port_text is None else int(port_text)
    if port is not None and port > 65535:
        return None
    ptext = m.group(5)
    params = _uri_params_fast(ptext) if ptext is not None else {}
    if params is None:
        return None
    return URI(m.group(1).lower(), m.group(2), None, m.group(3), port, params, {}, s)


def parse_uri(s: str, strict: bool = False) -> URI:
    """Parse a SIP, SIPS or tel URI, or any absolute URI (scheme and text only).

    SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
    userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
    """
    if not strict:
        fast = _uri_fast(s)
        if fast is not None:
            return fast
    text = s if strict else s.strip(_WS)
    base = 0 if strict else len(s) - len(s.lstrip(_WS))
    colon = text.find(":")
    if colon <= 0:
        raise _err("bad-uri", base, "no scheme")
    scheme = text[:colon]
    # scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    if scheme[0] not in _ALPHA or _NOT_SCHEME.search(scheme):
        raise _err("bad-uri", base, f"bad scheme {scheme!r}")
    lscheme = scheme.lower()
    start = colon + 1
    n = len(text)
    if lscheme in ("sip", "sips"):
        at = text.find("@", start)
        user: Optional[str] = None
        password: Optional[str] = None
        hp_start = start
        if at >= 0:
            userinfo = text[start:at]
            ucolon = userinfo.find(":")
            if ucolon >= 0:
                user, password = userinfo[:ucolon], userinfo[ucolon + 1 :]
            else:
                user = userinfo
            if strict:
                if not user:
                    raise _err("bad-uri", base + start, "empty user")
                _check_chars(user, _USER_CHARS, "bad-uri", base + start, "the user part")
                if password is not None:
                    _check_chars(password, _PASSWORD_CHARS, "bad-uri", base + start + len(user) + 1, "the password")
            user = unescape(user)
            if password is not None:
                password = unescape(password)
            hp_start = at + 1
        hp_match = _HOSTPORT_END.search(text, hp_start)
        hp_end = hp_match.start() if hp_match else n
        hp = text[hp_start:hp_end]
        if not strict:
            hp = hp.strip(_WS)
        host, port = _parse_host(hp, strict, base + hp_start, "bad-uri")
        params: Params = {}
        headers: dict[str, str] = {}
        q = text.find("?", hp_end)
        p_end = q if q >= 0 else n
        if hp_end < p_end and text[hp_end] == ";":
            params = _uri_params(text, hp_end + 1, p_end, strict, base)
        if q >= 0:
            headers = _uri_headers(text, q + 1, strict, base)
        return URI(lscheme, user, password, host, port, params, headers, text)
    if lscheme == "tel":
        # telephone-subscriber = global-number / local-number (RFC 3966), then ;params
        semi = text.find(";", start)
        number = text[start:] if semi < 0 else text[start:semi]
        if not number or (strict and _NOT_TEL.search(number)):
            raise _err("bad-uri", base + start, "bad telephone number")
        tparams = _uri_params(text, semi + 1, n, strict, base) if semi >= 0 else {}
        return URI(lscheme, unescape(number), None, None, None, tparams, {}, text)
    rest = text[start:]
    if not rest or _BAD_ABSOLUTE.search(rest):
        raise _err("bad-uri", base + start, "bad absolute URI")
    if strict:
        _check_chars(rest, _URIC_CHARS, "bad-uri", base + start, "an absolute URI")
    return URI(lscheme, None, None, None, None, {}, {}, text)


# --------------------------------------------------------------------------------------------
# name-addr, Via, CSeq, credentials


def _name_addr_fast(s: str) -> Optional[NameAddr]:
    # '"name" <uri>;params' or 'name <uri>;params': parse_name_addr's answer (or its error), or None
    m = _NAME_ADDR_FAST.match(s)
    if m is None:
        return None
    quoted = m.group(1)
    display = quoted if quoted is not None else (m.group(2).strip(_WS) or None)
    try:
        uri = parse_uri(m.group(3))
    except SIPParseError as exc:
        raise _shifted(exc, m.start(3)) from None
    ptext = m.group(4)
    if ptext is None:
        return NameAddr(display, uri, {})
    try:
        return NameAddr(display, uri, parse_params(ptext))
    except SIPParseError as exc:
        raise _shifted(exc, m.start(4)) from None


def parse_name_addr(s: str, strict: bool = False) -> NameAddr:
    """Parse a name-addr or addr-spec with its header params (From, To, Contact, Route...).

    name-addr = [ display-name ] LAQUOT addr-spec RAQUOT;  display-name = *(token LWS)/ quoted-string
    In the addr-spec form the URI ends at the first ';' (what follows are header params), and must
    not contain ',' or '?' under strict=True (RFC 3261 §20).
    """
    if not strict:
        fast = _name_addr_fast(s)
        if fast is not None:
            return fast
    n = len(s)
    i = _skip_ws(s, 0)
    if i >= n:
        raise _err("bad-name-addr", 0, "empty address")
    display: Optional[str] = None
    if s[i] == '"':
        j = _scan_quoted(s, i)
        if strict:
            _check_quoted(s, i, j)
        display = unquote(s[i:j])
        lt = _skip_ws(s, j)
        if lt >= n or s[lt] != "<":
            raise _err("bad-name-addr", lt, "expected '<' after the display name")
    else:
        # a display name holds no ';' (params follow the address), so a '<' after the first ';'
        # belongs to a param value of an addr-spec: 'sip:a@b;p="<"'
        semi = s.find(";", i)
        lt = s.find("<", i, n if semi < 0 else semi)
        if lt >= 0:
            display = s[i:lt].strip(_WS) or None
            if strict and display and re.search(r"[^A-Za-z0-9\-.!%*_+`'~ \t]", display):
                raise _err("bad-name-addr", i, "display name with non-token characters must be quoted")
    if lt >= 0:
        gt = s.find(">", lt + 1)
        if gt < 0:
            raise _err("bad-name-addr", lt, "'<' is not closed")
        inner = s[lt + 1 : gt]
        if strict and inner != inner.strip(_WS):
            raise _err("bad-name-addr", lt + 1, "whitespace inside <>")
        try:
            uri = parse_uri(inner, strict)
        except SIPParseError as exc:
            raise _shifted(exc, lt + 1) from None
        k = _skip_ws(s, gt + 1)
        if k >= n:
            return NameAddr(display, uri, {})
        if s[k] != ";":
            raise _err("bad-name-addr", k, "text after '>'")
        pstart = k
    else:
        semi = s.find(";", i)
        pstart = n if semi < 0 else semi
        spec = s[i:pstart].rstrip(_WS)
        if strict and ("," in spec or "?" in spec):
            raise _err("bad-name-addr", i, "an address with ',' or '?' must be enclosed in <>")
        if strict and (" " in spec or "\t" in spec):
            raise _err("bad-name-addr", i, "whitespace inside the address")
        try:
            uri = parse_uri(spec, strict)
        except SIPParseError as exc:
            raise _shifted(exc, i) from None
        if pstart >= n:
            return NameAddr(None, uri, {})
    try:
        params = parse_params(s[pstart:], strict)
    except SIPParseError as exc:
        raise _shifted(exc, pstart) from None
    return NameAddr(display, uri, params)


def _scan_token(s: str, i: int) -> int:
    n = len(s)
    while i < n and s[i] in _TOKEN_CHARS:
        i += 1
    return i


def _via_fast(s: str) -> Optional[Via]:
    # 'SIP/2.0/UDP host[:port][;params]': parse_via's answer (or its error), or None
    m = _VIA_FAST.match(s)
    if m is None:
        return None
    port_text = m.group(5)
    port = None if port_text is None else int(port_text)
    if port is not None and port > 65535:
        return None
    ptext = m.group(6)
    params: Params = {}
    if ptext is not None:
        try:
            params = parse_params(ptext)
        except SIPParseError as exc:
            raise _shifted(exc, m.start(6)) from None
    return Via(f"{m.group(1)}/{m.group(2)}", m.group(3).upper(), m.group(4), port, params)


def parse_via(s: str, strict: bool = False) -> Via:
    """Parse one via-parm (split the header value with split_list first).

    via-parm = sent-protocol LWS sent-by *( SEMI via-params )
    sent-protocol = protocol-name SLASH protocol-version SLASH transport;  SLASH = SWS "/" SWS
    sent-by = host [ COLON port ]
    """
    if not strict:
        fast = _via_fast(s)
        if fast is not None:
            return fast
    n = len(s)
    parts: list[str] = []
    i = _skip_ws(s, 0)
    for k in range(3):
        j = _scan_token(s, i)
        if j == i:
            raise _err("bad-via", i, "bad sent-protocol")
        parts.append(s[i:j])
        i = _skip_ws(s, j)
        if k < 2:
            if i >= n or s[i] != "/":
                raise _err("bad-via", i, "expected '/' in sent-protocol")
            i = _skip_ws(s, i + 1)
    if i == j:
        raise _err("bad-via", i, "expected whitespace before sent-by")
    h = i
    if h < n and s[h] == "[":
        close = s.find("]", h)
        i = n if close < 0 else close + 1
    while i < n and s[i] not in " \t;:,":
        i += 1
    host = s[h:i]
    _check_host(host, strict, h, "bad-via")
    port: Optional[int] = None
    i = _skip_ws(s, i)
    if i < n and s[i] == ":":  # COLON = SWS ":" SWS
        p = _skip_ws(s, i + 1)
        i = p
        while i < n and s[i] in _DIGITS:
            i += 1
        port = _parse_port(s[p:i], p, "bad-via")
        i = _skip_ws(s, i)
    params: Params = {}
    if i < n:
        if s[i] != ";":
            raise _err("bad-via", i, "expected ';' after sent-by")
        try:
            params = parse_params(s[i:], strict)
        except SIPParseError as exc:
            raise _shifted(exc, i) from None
    return Via(f"{parts[0]}/{parts[1]}", parts[2].upper(), host, port, params)


def parse_cseq(s: str, strict: bool = False) -> CSeq:
    """CSeq = 1*DIGIT LWS Method; the number fits 32 bits (under 2**31 with strict=True)."""
    fast = _CSEQ_FAST.match(s)
    if fast is not None:
        return CSeq(int(fast.group(1)), fast.group(2))
    n = len(s)
    i = _skip_ws(s, 0)
    j = i
    while j < n and s[j] in _DIGITS:
        j += 1
    if j == i:
        raise _err("bad-cseq", i, "CSeq has no number")
    limit = CSEQ_MAX_STRICT if strict else CSEQ_MAX
    digits = s[i:j].lstrip("0")
    if len(digits) > 10 or (digits and int(digits) > limit):
        raise _err("bad-cseq", i, "CSeq number out of range")
    k = _skip_ws(s, j)
    if k == j:
        raise _err("bad-cseq", j, "expected whitespace after the CSeq number")
    e = _scan_token(s, k)
    if e == k or _skip_ws(s, e) != n:
        raise _err("bad-cseq", k, "bad CSeq method")
    return CSeq(int(digits or "0"), s[k:e])


def parse_auth(s: str, strict: bool = False) -> Auth:
    """Parse a challenge or credentials: ``scheme`` then auth-params (or a token68).

    challenge = auth-scheme LWS auth-param *(COMMA auth-param)
    auth-param = auth-param-name EQUAL ( token / quoted-string )
    Names are lowercased, values unquoted; the first of a repeated name wins.
    """
    n = len(s)
    i = _skip_ws(s, 0)
    j = _scan_token(s, i)
    if j == i:
        raise _err("bad-auth", i, "no auth scheme")
    scheme = s[i:j]
    k = _skip_ws(s, j)
    if k >= n:
        return Auth(scheme, {}, None)
    if k == j:
        raise _err("bad-auth", j, "expected whitespace after the auth scheme")
    rest = s[k:].strip(_WS)
    if _TOKEN68.match(rest):
        # token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=": it allows "=" only
        # at its end, where no auth-param can be, so whatever matches it is a token68
        return Auth(scheme, {}, rest)
    params: dict[str, str] = {}
    p = k
    while p < n:
        c = s[p]
        if c in _WS or c == ",":
            p += 1
            continue
        q = _scan_token(s, p)
        e = _skip_ws(s, q)
        if q == p or e >= n or s[e] != "=":
            raise _err("bad-auth", p, "expected name=value")
        name = s[p:q].lower()
        v = _skip_ws(s, e + 1)
        if v < n and s[v] == '"':
            w = _scan_quoted(s, v)
            if strict:
                _check_quoted(s, v, w)
            value = unquote(s[v:w])
        else:
            w = v
            while w < n and s[w] not in " \t,":
                w += 1
            value = s[v:w]
            if not value or (strict and not _is_token(value)):
                raise _err("bad-auth", v, f"bad value for {name!r}")
        p = _skip_ws(s, w)
        if p < n and s[p] != ",":
            raise _err("bad-auth", p, "expected ',' between auth params")
        if name not in params:
            params[name] = value
    return Auth(scheme, params, None)


# --------------------------------------------------------------------------------------------
# the message tokenizer


class MessageIndex:
    """A parsed message: start line, header spans, body. Values are decoded when first read."""

    __slots__ = (
        "_cache",
        "_hstart",
        "_hstop",
        "_ids",
        "_input",
        "_keys",
        "_names",
        "_offs",
        "_strict",
        "_vals",
        "body",
        "data",
        "is_request",
        "method",
        "reason",
        "status_code",
        "uri",
        "version",
    )

    _cache: list[Optional[str]]
    _hstart: int
    _hstop: int
    _ids: list[int]
    _input: bytes
    _keys: list[str]
    _names: list[str]
    _offs: Optional[list[int]]
    _strict: bool
    _vals: list[bytes]
    data: bytes
    is_request: bool
    method: Optional[str]
    uri: Optional[str]
    version: str
    status_code: int
    reason: Optional[str]
    body: bytes

    def __len__(self) -> int:
        return len(self._vals)

    def name(self, i: int) -> str:
        """Canonical name of header i."""
        return self._names[i]

    def value(self, i: int) -> str:
        """Value of header i: folding replaced by one space, surrounding whitespace stripped."""
        v = self._cache[i]
        if v is None:
            v = self._cache[i] = self._vals[i].decode("utf-8", "surrogateescape")
        return v

    def offset(self, i: int) -> int:
        """Byte offset of header i's line in the input."""
        offs = self._offs
        if offs is None:
            offs = self._offs = _split_headers(self._input, self._hstart, self._hstop, self._strict, 1 << 30)[4]
        return offs[i]

    def items(self) -> list[tuple[str, str]]:
        """Every header as (canonical name, value), in order."""
        return [(self._names[i], self.value(i)) for i in range(len(self._vals))]

    def index_of(self, name: str) -> int:
        """Position of the first header called name (any form), or -1."""
        try:
            return self._keys.index(_name_info(name)[2])
        except ValueError:
            return -1

    def get(self, name: str) -> Optional[str]:
        """Value of the first header called name (any form), or None."""
        try:
            i = self._keys.index(_name_info(name)[2])
        except ValueError:
            return None
        return self.value(i)

    def get_all(self, name: str) -> list[str]:
        """Values of every header called name (any form), one per header line."""
        key = _name_info(name)[2]
        return [self.value(i) for i, k in enumerate(self._keys) if k == key]

    def _first(self, hid: int) -> int:
        try:
            return self._ids.index(hid)
        except ValueError:
            return -1

    @property
    def call_id(self) -> Optional[str]:
        i = self._first(_headers.CALL_ID)
        return None if i < 0 else self.value(i)

    @property
    def cseq(self) -> Optional[str]:
        i = self._first(_headers.CSEQ)
        return None if i < 0 else self.value(i)

    @property
    def branch(self) -> Optional[str]:
        """The branch param of the topmost Via, or None."""
        i = self._first(_headers.VIA)
        if i < 0:
            return None
        elems = split_list(self.value(i))
        if not elems:
            return None
        return parse_via(elems[0]).params.get("branch")

    def _tag(self, hid: int) -> Optional[str]:
        i = self._first(hid)
        if i < 0:
            return None
        return parse_name_addr(self.value(i)).params.get("tag")

    @property
    def from_tag(self) -> Optional[str]:
        return self._tag(_headers.FROM)

    @property
    def to_tag(self) -> Optional[str]:
        return self._tag(_headers.TO)


def _check_version(version: bytes, offset: int) -> None:
    # SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; sipfast speaks SIP/2.0 only (505 otherwise)
    if version.upper() != _VERSION:
        raise _err("bad-version", offset, f"unsupported version {version!r}", 505)


def _first_ws(line: bytes) -> int:
    sp = line.find(b" ")
    if b"\t" in line:
        tab = line.find(b"\t")
        sp = tab if sp < 0 or tab < sp else sp
    return len(line) if sp < 0 else sp


def _parse_start_line(ix: MessageIndex, line: bytes, off: int, strict: bool) -> None:
    if line[:4].upper() == b"SIP/":
        # Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
        sp = _first_ws(line)
        _check_version(line[:sp], off)
        if strict:
            rest = line[sp + 1 :] if line[sp : sp + 1] == b" " else b"\x00"
        else:
            rest = line[sp:].lstrip(b" \t")
        code = rest[:3]
        if len(code) != 3 or not code.isdigit() or code[:1] == b"0" or (len(rest) > 3 and rest[3] not in (32, 9)):
            raise _err("bad-status-code", off, "status code is not three digits")
        status = int(code)
        if not 100 <= status <= 699:
            raise _err("bad-status-code", off, f"status code {status} out of range")
        if strict:
            if len(rest) == 3 or rest[3] != 32:  # the SP is required even before an empty reason
                raise _err("bad-start-line", off, "expected SP after the status code")
            reason = rest[4:]
            if _REASON_BAD.search(reason):
                raise _err("bad-start-line", off, "control character in the reason phrase")
        else:
            reason = rest[3:].strip(b" \t")
        ix.is_request = False
        ix.method = None
        ix.uri = None
        ix.version = line[:sp].decode("ascii")
        ix.status_code = status
        ix.reason = reason.decode("utf-8", "surrogateescape")
        return
    # Request-Line = Method SP Request-URI SP SIP-Version CRLF
    parts = line.split(b" ")
    if len(parts) == 3 and parts[0] and parts[1] and parts[2] and b"\t" not in line:
        method, uri, version = parts
    elif strict:
        raise _err("bad-start-line", off, "request line is not 'Method SP Request-URI SP SIP-Version'")
    else:
        body = line.strip(b" \t")
        first = _first_ws(body)
        last = body.rfind(b" ") if b"\t" not in body else max(body.rfind(b" "), body.rfind(b"\t"))
        if first >= last:
            raise _err("bad-start-line", off, "request line is not 'Method SP Request-URI SP SIP-Version'")
        method, uri, version = body[:first], body[first:last].strip(b" \t"), body[last + 1 :]
    if not method or _NAME_BAD_STRICT.search(method):
        raise _err("bad-method", off, "method is not a token")
    _check_version(version, off)
    uri_text = uri.decode("utf-8", "surrogateescape")
    if strict:
        try:
            parsed = parse_uri(uri_text, True)
        except SIPParseError as exc:
            raise _err("bad-request-uri", off, exc.detail) from None
        if parsed.headers or (parsed.scheme in ("sip", "sips") and "?" in uri_text[uri_text.find("@") + 1 :]):
            raise _err("bad-request-uri", off, "headers are not allowed in a Request-URI")
    ix.is_request = True
    ix.method = method.decode("ascii")
    ix.uri = uri_text
    ix.version = version.decode("ascii")
    ix.status_code = 0
    ix.reason = None


def _content_length(text: bytes, ix: Optional[MessageIndex], i: int) -> int:
    # Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT
    if not text or not text.isdigit() or not text.isascii():
        off = i if ix is None else ix.offset(i)
        raise _err("bad-content-length", off, f"Content-Length {text[:20]!r} is not a number")
    digits = text.lstrip(b"0")
    return int(digits or b"0") if len(digits) <= 12 else 10**12


_HEADERS_END = re.compile(rb"\n\r?\n")
_NameInfo = tuple[int, str, str]
_STRICT_NAMES: dict[bytes, _NameInfo] = {}
_LENIENT_NAMES: dict[bytes, _NameInfo] = {}


def _raw_name_info(raw: bytes, strict: bool) -> Optional[_NameInfo]:
    """(id, canonical, key) of a header name as received, or None if the name is not acceptable."""
    raw = raw.rstrip(b" \t")
    if not raw or (_NAME_BAD_STRICT if strict else _NAME_BAD_LENIENT).search(raw):
        return None
    info = _info_of(raw)
    cache = _STRICT_NAMES if strict else _LENIENT_NAMES
    if len(cache) < 2048:
        cache[raw] = info
    return info


def _split_headers(
    data: bytes, pos: int, stop: int, strict: bool, max_headers: int
) -> tuple[list[int], list[str], list[str], list[bytes], list[int]]:
    """The general header-line splitter: folding, bare LF, and the errors with their offsets."""
    names: list[str] = []
    keys: list[str] = []
    ids: list[int] = []
    vals: list[bytes] = []
    offs: list[int] = []
    folds: dict[int, list[bytes]] = {}
    while pos < stop:
        nl = data.find(b"\n", pos, stop)
        if nl < 0:
            nl, end = stop, stop - (data[stop - 1] == 13)
        else:
            end = nl - 1 if nl > pos and data[nl - 1] == 13 else nl
        c = data[pos]
        if c == 32 or c == 9:  # a folded continuation: LWS = [*WSP CRLF] 1*WSP, read as one SP
            if not vals:
                raise _err("bad-header", pos, "continuation line before the first header")
            piece = data[pos:end].strip(b" \t")
            if piece:
                folds.setdefault(len(vals) - 1, [vals[-1]]).append(piece)
            pos = nl + 1
            continue
        colon = data.find(b":", pos, end)
        if colon < 0:
            raise _err("bad-header", pos, "header line without ':'")
        raw = data[pos:colon].rstrip(b" \t")
        if not raw:
            raise _err("bad-header-name", pos, "empty header name")
        info = _raw_name_info(raw, strict)
        if info is None:
            raise _err("bad-header-name", pos, "header name is not a token" if strict else "bad header name")
        if len(vals) >= max_headers:
            raise _err("too-large", pos, f"more than {max_headers} headers", 513)
        ids.append(info[0])
        names.append(info[1])
        keys.append(info[2])
        vals.append(data[colon + 1 : end].strip(b" \t"))
        offs.append(pos)
        pos = nl + 1
    # the pieces of a folded value are joined once (joining per line would be quadratic)
    for i, pieces in folds.items():
        vals[i] = b" ".join(p for p in pieces if p)
    return ids, names, keys, vals, offs


def parse_message(
    data: Union[bytes, bytearray, memoryview, str],
    strict: bool = False,
    max_size: int = DEFAULT_MAX_SIZE,
    max_headers: int = DEFAULT_MAX_HEADERS,
) -> MessageIndex:
    """Parse one SIP message from a datagram (or a Framer): start line, headers, body.

    Content-Length frames the body (missing: the rest of the input is the body); octets after the
    framed body are ignored. strict=True also checks every RFC 3261 header's grammar.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    elif not isinstance(data, bytes):
        data = bytes(data)
    n = len(data)
    if n > max_size:
        raise _err("too-large", max_size, f"message of {n} octets exceeds the limit of {max_size}", 513)
    # RFC 3261 §7.5: empty lines before the start line are ignored
    start = 0
    while start < n and data[start] in (13, 10):
        start += 1
    nl = data.find(b"\n", start)
    if nl < 0:
        raise _err("bad-start-line", start, "no complete start line")
    end = nl - 1 if nl > start and data[nl - 1] == 13 else nl
    ix = MessageIndex()
    _parse_start_line(ix, data[start:end], start, strict)

    hend = _HEADERS_END.search(data, nl)
    if hend is None:
        if strict:
            raise _err("no-end-of-headers", n, "the header section is not closed by an empty line")
        block = data[nl + 1 :]
        if block and block[-1:] != b"\n":
            block += b"\n"
        body_start = n
    else:
        block = data[nl + 1 : hend.start() + 1]
        body_start = hend.end()
    names: list[str] = []
    keys: list[str] = []
    ids: list[int] = []
    vals: list[bytes] = []
    slow = True
    lines = block.split(b"\r\n")
    if not lines.pop() and len(lines) == block.count(b"\n") and len(lines) <= max_headers:
        # fast path: CRLF line ends; a folded line or a bad name sends us to _split_headers
        cache = _STRICT_NAMES if strict else _LENIENT_NAMES
        for line in lines:
            raw, colon, value = line.partition(b":")
            info = cache.get(raw)
            if info is None or not colon:
                if not colon:
                    break
                info = _raw_name_info(raw, strict)
                if info is None:
                    break
            ids.append(info[0])
            names.append(info[1])
            keys.append(info[2])
            vals.append(value.strip(b" \t"))
        else:
            slow = False
    hstop = min(nl + 1 + len(block), n)
    if slow:
        ids, names, keys, vals, _ = _split_headers(data, nl + 1, hstop, strict, max_headers)

    ix._names = names
    ix._keys = keys
    ix._ids = ids
    ix._vals = vals
    ix._offs = None
    ix._hstart = nl + 1
    ix._hstop = hstop
    ix._input = data
    ix._strict = strict
    ix._cache = [None] * len(vals)

    # framing: Content-Length (RFC 3261 §18.3, §20.14)
    length = -1
    cl_id = _headers.CONTENT_LENGTH
    if cl_id in ids:
        for i, hid in enumerate(ids):
            if hid == cl_id:
                declared = _content_length(vals[i], ix, i)
                if length >= 0 and (strict or declared != length):
                    raise _err("bad-content-length", ix.offset(i), "more than one Content-Length")
                length = declared
    if length < 0:
        body_end = n
    else:
        body_end = body_start + length
        if body_end > n:
            raise _err("bad-content-length", body_start, f"Content-Length {length} but {n - body_start} octets of body")

    ix.data = data if start == 0 and body_end == n else data[start:body_end]
    ix.body = data[body_start:body_end]

    # the transaction layer relies on CSeq: check it whenever present (RFC 3261 §8.2.2 / §20.16)
    i = ix._first(_headers.CSEQ)
    if i >= 0:
        try:
            cseq = parse_cseq(ix.value(i), strict)
        except SIPParseError as exc:
            raise _err(exc.reason, ix.offset(i), exc.detail) from None
        if ix.is_request and cseq.method != ix.method:
            raise _err("cseq-method-mismatch", ix.offset(i), f"CSeq method {cseq.method!r} is not {ix.method!r}")
    if strict:
        _strict.check_headers(ix, _STRICT_PARSERS)
    return ix


# --------------------------------------------------------------------------------------------
# stream framing


class Framer:
    """Cut a byte stream (TCP, TLS) into whole SIP messages.

    ``feed(data)`` returns the messages completed by data, as bytes, framed by Content-Length
    (missing: no body). CRLF keep-alives between messages are skipped. A message (header section
    or header + body) longer than max_size raises SIPParseError ``too-large``; a broken
    Content-Length raises ``bad-content-length``. After an error the stream cannot be resynchronised.
    """

    __slots__ = ("_buf", "_need", "_scan", "max_size")

    def __init__(self, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self.max_size = max_size
        self._buf = bytearray()
        self._scan = 0  # where the search for the end of the header section resumes
        self._need = -1  # total length of the current message once its headers are complete

    @property
    def buffered(self) -> int:
        """Octets received but not yet returned as a message."""
        return len(self._buf)

    def feed(self, data: Union[bytes, bytearray, memoryview]) -> list[bytes]:
        buf = self._buf
        buf += data
        out: list[bytes] = []
        while True:
            if self._need < 0:
                skip = 0
                while skip < len(buf) and buf[skip] in (13, 10):
                    skip += 1
                if skip:
                    del buf[:skip]
                    self._scan = 0
                hend = self._header_end()
                if hend < 0:
                    if len(buf) > self.max_size:
                        raise _err("too-large", self.max_size, "header section exceeds the limit", 513)
                    break
                self._need = hend + self._framed_length(hend)
                if self._need > self.max_size:
                    raise _err("too-large", self.max_size, f"message of {self._need} octets exceeds the limit", 513)
            if len(buf) < self._need:
                break
            out.append(bytes(buf[: self._need]))
            del buf[: self._need]
            self._need = -1
            self._scan = 0
        return out

    def _header_end(self) -> int:
        # the header section ends with an empty line: LF followed by LF or CRLF
        buf = self._buf
        i = buf.find(b"\n", self._scan)
        while i >= 0:
            nxt = buf[i + 1 : i + 3]
            if nxt[:1] == b"\n":
                return i + 2
            if nxt == b"\r\n":
                return i + 3
            if nxt == b"\r" or not nxt:  # the rest has not arrived yet
                self._scan = i
                return -1
            i = buf.find(b"\n", i + 1)
        self._scan = max(len(buf) - 1, 0)
        return -1

    def _framed_length(self, hend: int) -> int:
        length = -1
        buf = self._buf
        pos = buf.find(b"\n") + 1
        while pos < hend:
            nl = buf.find(b"\n", pos)
            colon = buf.find(b":", pos, nl)
            if colon > 0 and buf[pos] not in (32, 9):
                name = bytes(buf[pos:colon]).rstrip(b" \t").lower()
                if name in (b"content-length", b"l"):
                    value = _content_length(bytes(buf[colon + 1 : nl]).strip(b" \t\r"), None, pos)
                    if length >= 0 and value != length:
                        raise _err("bad-content-length", pos, "conflicting Content-Length headers")
                    length = value
            pos = nl + 1
        return max(length, 0)


_STRICT_PARSERS: dict[str, Callable[..., object]] = {
    "split_list": split_list,
    "parse_params": parse_params,
    "parse_uri": parse_uri,
    "parse_name_addr": parse_name_addr,
    "parse_via": parse_via,
    "parse_auth": parse_auth,
    "parse_cseq": parse_cseq,
}
