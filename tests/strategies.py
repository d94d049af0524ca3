"""Hypothesis strategies for SIP text, built from the RFC 3261 grammar (plus RFC 3966 tel: and
RFC 7235 credentials), shared by the parser-core test files.

Value strategies give ``Gen(text, expect)``: ``text`` is the value with whitespace slots left as
markers (``SWS`` where the grammar allows optional whitespace, ``LWS`` where it wants at least one
blank), and ``expect`` is what a parser must make of it, computed here from the parts that were
drawn, never by the code under test. ``render`` turns the markers into whitespace — with line
folding when the value goes into a message — and gives the unfolded value a parser must report.
``messages`` builds whole messages with every fact a parser must find in them; ``mutated_bytes``
and ``mutated_text`` damage any input for the differential tests.

Strategies are built once (module constants, or cached factories): building them inside a draw
costs more than the draw.
"""

from __future__ import annotations

import ipaddress
import re
import string
from functools import cache
from typing import Any, Callable, NamedTuple, Optional

from hypothesis import strategies as st

SWS = "\ue000"  # optional whitespace:  SWS = [LWS]
LWS = "\ue001"  # required whitespace:  LWS = [*WSP CRLF] 1*WSP
_MARKER_SPLIT = re.compile(f"([{SWS}{LWS}])")

ALPHA = string.ascii_letters
DIGIT = string.digits
ALNUM = ALPHA + DIGIT
# mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")";  unreserved = alphanum / mark
UNRESERVED = ALNUM + "-_.!~*'()"
# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN_CHARS = ALNUM + "-.!%*_+`'~"
# word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" /
#        "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" )
WORD_CHARS = TOKEN_CHARS + '()<>:\\"/[]?{}'
# user = 1*( unreserved / escaped / user-unreserved );  user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
USER_CHARS = UNRESERVED + "&=+$,;?/"
# password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
PASSWORD_CHARS = UNRESERVED + "&=+$,"
# paramchar = param-unreserved / unreserved / escaped;  param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$"
PARAM_CHARS = UNRESERVED + "[]/:&+$"
# hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"
HNV_CHARS = UNRESERVED + "[]/?:+$"
# UTF8-NONASCII samples: Latin-1, Cyrillic, CJK, a BOM, an astral-plane character
NON_ASCII = "\u00e9\u00fc\u00a0\u0436\u0416\u5927\u505c\ufeff\u20ac\U0001f600"
# qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
QDTEXT = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"\\') + " \t" + NON_ASCII
# quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
QUOTED_PAIR = "".join(chr(c) for c in range(0x80) if c not in (10, 13))
# TEXT-UTF8char = %x21-7E / UTF8-NONASCII
TEXT_CHARS = "".join(chr(c) for c in range(0x21, 0x7F)) + NON_ASCII

KNOWN_METHODS = (
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "INFO",
    "MESSAGE",
    "SUBSCRIBE",
    "NOTIFY",
    "PRACK",
    "UPDATE",
    "REFER",
    "PUBLISH",
)
# compact forms (RFC 3261 §7.3.3) of the headers the message generator writes
COMPACT = {
    "Call-ID": "i",
    "Contact": "m",
    "Content-Encoding": "e",
    "Content-Length": "l",
    "Content-Type": "c",
    "From": "f",
    "Subject": "s",
    "Supported": "k",
    "To": "t",
    "Via": "v",
}
# names a random generic-param must not take: they carry their own grammar or meaning
RESERVED_PARAMS = frozenset(
    {"q", "expires", "ttl", "maddr", "received", "branch", "tag", "rport", "transport", "lr", "method", "user"}
)


class Gen(NamedTuple):
    """A value with whitespace markers, and what a parser must make of it."""

    text: str
    expect: Any


def ascii_lower(s: str) -> str:
    return s.translate({c: c + 32 for c in range(65, 91)})


def percent_decode(s: str) -> str:
    """%HH escapes resolved once, the octets read as UTF-8 (invalid ones surrogate-escaped)."""
    raw = s.encode("utf-8", "surrogateescape")
    out = re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes((int(m.group(1), 16),)), raw)
    return out.decode("utf-8", "surrogateescape")


def with_case(s: str, mask: int) -> str:
    """s as written, upper, lower, or with letters flipped by the bits of mask."""
    how, bits = mask & 3, mask >> 2
    if how == 1:
        return s.upper()
    if how == 2:
        return s.lower()
    if how == 3:
        return "".join(c.swapcase() if bits >> (i % 30) & 1 else c for i, c in enumerate(s))
    return s


CASES = st.integers(0, 2**32 - 1)


def chars(alphabet: str, min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


# --------------------------------------------------------------------------------------------
# lexical pieces

tokens = chars(TOKEN_CHARS, 1, 10)
plain_tokens = chars(ALNUM + "-", 1, 10)
methods = st.one_of(st.sampled_from(KNOWN_METHODS), chars(TOKEN_CHARS, 1, 12))
_param_names = tokens.filter(lambda t: ascii_lower(t) not in RESERVED_PARAMS)


def _escape(pair: tuple[bool, int, str, bool]) -> str:
    utf8, octet, char, upper = pair
    octets = char.encode("utf-8") if utf8 else bytes([octet])
    return "".join(("%{:02X}" if upper else "%{:02x}").format(o) for o in octets)


# escaped = "%" HEXDIG HEXDIG: any octet, either case, often a whole UTF-8 sequence
escapes = st.tuples(
    st.booleans(), st.integers(0, 255), st.sampled_from(NON_ASCII + ALNUM + " %;@:"), st.booleans()
).map(_escape)


@cache
def escaped_text(alphabet: str, min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[str]:
    """1*( alphabet / escaped )"""
    piece = st.one_of(st.sampled_from(alphabet), st.sampled_from(alphabet), escapes)
    return st.lists(piece, min_size=min_size, max_size=max_size).map("".join)


def _label(t: tuple[str, str, str]) -> str:
    return t[0] + (t[1] + t[2] if t[1] else "")


# hostname = *( domainlabel "." ) toplabel [ "." ]
# domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum
# toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum
_domainlabel = st.tuples(st.sampled_from(ALNUM), chars(ALNUM + "-", 0, 5), st.sampled_from(ALNUM)).map(_label)
_toplabel = st.tuples(st.sampled_from(ALPHA), chars(ALNUM + "-", 0, 5), st.sampled_from(ALNUM)).map(_label)
hostnames = st.tuples(st.lists(_domainlabel, max_size=3), _toplabel, st.integers(0, 9)).map(
    lambda t: ".".join([*t[0], t[1]]) + ("." if t[2] == 0 else "")
)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))


def _ipv6(t: tuple[int, int, str, bool]) -> str:
    n, form, v4, upper = t
    addr = ipaddress.IPv6Address(n)
    text = (addr.compressed, addr.exploded, "::ffff:" + v4)[form]
    return text.upper() if upper else text


# IPv6address in compressed, exploded or IPv4-suffixed form, either case
ipv6 = st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 2), ipv4, st.booleans()).map(_ipv6)
ipv6_refs = ipv6.map(lambda a: f"[{a}]")
hosts = st.one_of(hostnames, ipv4, ipv6_refs)


def _port(t: tuple[int, int]) -> tuple[str, int]:
    n, pad = t
    text = str(n)
    return (text.zfill(pad) if pad > len(text) else text), n


# port = 1*DIGIT; sometimes with leading zeros (at most five digits)
ports = st.tuples(st.integers(0, 65535), st.sampled_from([0, 0, 0, 0, 2, 4, 5])).map(_port)


def _quoted(parts: list[tuple[str, str]]) -> Gen:
    return Gen('"' + "".join(w for w, _ in parts) + '"', "".join(p for _, p in parts))


@cache
def quoted_strings(max_size: int = 8) -> st.SearchStrategy[Gen]:
    """quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE  (expect: the content)"""
    qd = st.sampled_from(QDTEXT).map(lambda c: (c, c))
    pair = st.sampled_from(QUOTED_PAIR).map(lambda c: ("\\" + c, c))
    return st.lists(st.one_of(qd, qd, qd, pair), max_size=max_size).map(_quoted)


# --------------------------------------------------------------------------------------------
# params


def _param_piece(name: str, value: Optional[str]) -> str:
    return f"{SWS};{SWS}{name}" + ("" if value is None else f"{SWS}={SWS}{value}")


@cache
def generic_params(max_size: int = 3) -> st.SearchStrategy[Gen]:
    """*( SEMI generic-param );  generic-param = token [ EQUAL gen-value ];
    gen-value = token / host / quoted-string.  expect: {lowercase name: value as written}."""
    value = st.one_of(st.none(), tokens, hosts, quoted_strings().map(lambda q: q.text))

    def build(pairs: list[tuple[str, Optional[str]]]) -> Gen:
        expect: dict[str, Optional[str]] = {}
        for name, v in pairs:
            expect.setdefault(ascii_lower(name), v)
        return Gen("".join(_param_piece(n, v) for n, v in pairs), expect)

    return st.lists(st.tuples(_param_names, value), max_size=max_size).map(build)


def with_param(params: Gen, name: str, value: Optional[str], first: bool) -> Gen:
    """params with name=value added first or last (an earlier duplicate wins)."""
    piece = _param_piece(name, value)
    if first:
        return Gen(piece + params.text, {name: value, **{k: v for k, v in params.expect.items() if k != name}})
    expect = dict(params.expect)
    expect.setdefault(name, value)
    return Gen(params.text + piece, expect)


_known_uri_params = st.sampled_from(
    [
        ("transport", "udp"),
        ("transport", "TCP"),
        ("lr", None),
        ("user", "phone"),
        ("ttl", "16"),
        ("maddr", "239.255.255.1"),
        ("method", "INVITE"),
        ("ob", None),
    ]
)


def _uri_params(t: list[tuple[str, Optional[str]]]) -> tuple[str, dict[str, Optional[str]]]:
    expect: dict[str, Optional[str]] = {}
    for name, value in t:
        expect.setdefault(ascii_lower(percent_decode(name)), None if value is None else percent_decode(value))
    return "".join(f";{n}" + ("" if v is None else f"={v}") for n, v in t), expect


# uri-parameters = *( ";" uri-parameter );  other-param = pname [ "=" pvalue ]
uri_params = st.lists(
    st.one_of(
        st.tuples(_known_uri_params, CASES).map(lambda t: (with_case(t[0][0], t[1]), t[0][1])),
        st.tuples(escaped_text(PARAM_CHARS, 1, 6), st.none() | escaped_text(PARAM_CHARS, 1, 6)),
    ),
    max_size=3,
).map(_uri_params)


def _uri_headers(pairs: list[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    expect: dict[str, str] = {}
    for name, value in pairs:
        expect.setdefault(percent_decode(name), percent_decode(value))
    return "?" + "&".join(f"{n}={v}" for n, v in pairs), expect


# headers = "?" header *( "&" header );  header = hname "=" hvalue
uri_headers = st.lists(
    st.tuples(escaped_text(HNV_CHARS, 1, 6), escaped_text(HNV_CHARS, 0, 6)), min_size=1, max_size=3
).map(_uri_headers)


# --------------------------------------------------------------------------------------------
# URIs: expect = (scheme, user, password, host, port, params, headers, text)


@cache
def sip_uris(headers: bool = True, addr_spec_safe: bool = False) -> st.SearchStrategy[Gen]:
    """SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ] (and sips:).

    addr_spec_safe: no ';', ',' or '?' anywhere, so it can stand outside <> (RFC 3261 §20).
    """
    user = escaped_text(UNRESERVED + "&=+$/" if addr_spec_safe else USER_CHARS, 1, 8)
    password = escaped_text(UNRESERVED + "&=+$" if addr_spec_safe else PASSWORD_CHARS, 0, 6)
    userinfo = st.one_of(st.none(), st.tuples(user, st.none()), st.tuples(user, st.none()), st.tuples(user, password))
    params = st.just(("", {})) if addr_spec_safe else uri_params
    hdrs = st.none() if addr_spec_safe or not headers else st.one_of(st.none(), st.none(), st.none(), uri_headers)

    def build(t: tuple[Any, ...]) -> Gen:
        scheme, case, ui, host, port, (ptext, pexpect), h = t
        text = with_case(scheme, case) + ":"
        u = pw = None
        if ui is not None:
            text += ui[0]
            u = percent_decode(ui[0])
            if ui[1] is not None:
                text += ":" + ui[1]
                pw = percent_decode(ui[1])
            text += "@"
        text += host
        if port is not None:
            text += ":" + port[0]
        text += ptext
        htext, hexpect = h if h is not None else ("", {})
        text += htext
        return Gen(text, (scheme, u, pw, host, None if port is None else port[1], pexpect, hexpect, text))

    return st.tuples(st.sampled_from(["sip", "sips"]), CASES, userinfo, hosts, st.none() | ports, params, hdrs).map(
        build
    )


@cache
def tel_uris(addr_spec_safe: bool = False) -> st.SearchStrategy[Gen]:
    # telephone-subscriber = global-number / local-number (RFC 3966)
    digits = chars(DIGIT + "-.()", 1, 12).filter(lambda s: any(c in DIGIT for c in s))
    params = st.just(("", {})) if addr_spec_safe else uri_params

    def build(t: tuple[Any, ...]) -> Gen:
        plus, number, case, (ptext, pexpect) = t
        number = ("+" if plus else "") + number
        text = with_case("tel", case) + ":" + number + ptext
        return Gen(text, ("tel", number, None, None, None, pexpect, {}, text))

    return st.tuples(st.booleans(), digits, CASES, params).map(build)


def _absolute(t: tuple[str, str, str]) -> Gen:
    first, rest_of_scheme, rest = t
    scheme = first + rest_of_scheme
    if ascii_lower(scheme) in ("sip", "sips", "tel"):
        scheme = "x" + scheme
    text = f"{scheme}:{rest}"
    return Gen(text, (ascii_lower(scheme), None, None, None, None, {}, {}, text))


# absoluteURI = scheme ":" ( hier-part / opaque-part ); scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
absolute_uris = st.tuples(
    st.sampled_from(ALPHA), chars(ALNUM + "+-.", 0, 8), escaped_text(UNRESERVED + "/?:@&=+$", 1, 16)
).map(_absolute)


@cache
def uris(headers: bool = True, addr_spec_safe: bool = False) -> st.SearchStrategy[Gen]:
    absolute = absolute_uris
    if addr_spec_safe:
        absolute = absolute.filter(lambda g: not set(g.text) & set(";,?"))
    sip = sip_uris(headers, addr_spec_safe)
    return st.one_of(sip, sip, tel_uris(addr_spec_safe), absolute)


# --------------------------------------------------------------------------------------------
# name-addr: expect = (display_name, uri expect, params)

# display-name = *(token LWS)/ quoted-string  (expect: the unquoted text, or the list of tokens,
# whose separating whitespace a parser keeps as written)
display_names = st.one_of(
    quoted_strings(),
    st.lists(tokens, min_size=1, max_size=3).map(lambda ws: Gen(LWS.join(ws), ws)),
)


@cache
def name_addrs(force_brackets: bool = False, param_names: tuple[str, ...] = ()) -> st.SearchStrategy[Gen]:
    """name-addr = [ display-name ] LAQUOT addr-spec RAQUOT, or a bare addr-spec, with
    header params; each of param_names may be added with a token value."""
    extra = st.tuples(*[st.tuples(st.booleans(), tokens, st.booleans()) for _ in param_names])

    def add(params: Gen, extras: tuple[tuple[bool, str, bool], ...]) -> Gen:
        for name, (wanted, value, first) in zip(param_names, extras):
            if wanted:
                params = with_param(params, name, value, first)
        return params

    def bare(t: tuple[Any, ...]) -> Gen:
        params, extras, uri = t
        params = add(params, extras)
        return Gen(uri.text + params.text, (None, uri.expect, params.expect))

    def bracketed(t: tuple[Any, ...]) -> Gen:
        params, extras, uri, display, sep = t
        params = add(params, extras)
        text = "" if display is None else display.text + (SWS, LWS)[sep]
        text += "<" + uri.text + ">" + params.text
        return Gen(text, (None if display is None else display.expect, uri.expect, params.expect))

    with_brackets = st.tuples(generic_params(2), extra, uris(), st.none() | display_names, st.integers(0, 1)).map(
        bracketed
    )
    if force_brackets:
        return with_brackets
    return st.one_of(with_brackets, st.tuples(generic_params(2), extra, uris(addr_spec_safe=True)).map(bare))


# --------------------------------------------------------------------------------------------
# Via: expect = (protocol, transport, host, port, params)

_received = st.one_of(ipv4, ipv6, ipv6_refs)
_via_extras = st.tuples(
    st.none() | _received.map(lambda v: ("received", v)),
    st.none() | st.one_of(st.none(), st.integers(0, 65535).map(str)).map(lambda v: ("rport", v)),
    st.none() | st.integers(0, 255).map(lambda v: ("ttl", str(v))),
    st.none() | hosts.map(lambda v: ("maddr", v)),
)


@cache
def vias(branch: Optional[bool] = None) -> st.SearchStrategy[Gen]:
    """via-parm = sent-protocol LWS sent-by *( SEMI via-params )
    sent-protocol = protocol-name SLASH protocol-version SLASH transport;  sent-by = host [ COLON port ]"""
    branches = st.booleans() if branch is None else st.just(branch)

    def build(t: tuple[Any, ...]) -> Gen:
        name, version, transport, host, port, params, extras, with_branch, branch_id, firsts, order = t
        text = f"{name}{SWS}/{SWS}{version}{SWS}/{SWS}{transport}{LWS}{host}"
        if port is not None:
            text += f"{SWS}:{SWS}{port[0]}"  # COLON = SWS ":" SWS
        added = [e for e in extras if e is not None]
        if with_branch:
            added.append(("branch", "z9hG4bK" + branch_id))
        added = [added[i] for i in order if i < len(added)]  # in a random order
        for (pname, pvalue), first in zip(added, firsts):
            params = with_param(params, pname, pvalue, first)
        return Gen(
            text + params.text,
            (f"{name}/{version}", transport.upper(), host, None if port is None else port[1], params.expect),
        )

    return st.tuples(
        st.one_of(st.sampled_from(["SIP", "SIP", "sip"]), tokens),
        st.one_of(st.sampled_from(["2.0", "2.0", "3.1"]), tokens),
        st.one_of(st.sampled_from(["UDP", "TCP", "TLS", "SCTP", "WS", "WSS", "udp", "Tls"]), tokens),
        hosts,
        st.none() | ports,
        generic_params(),
        _via_extras,
        branches,
        tokens,
        st.lists(st.booleans(), min_size=5, max_size=5),
        st.permutations(range(5)),
    ).map(build)


# --------------------------------------------------------------------------------------------
# CSeq, credentials, lists


def _cseq(t: tuple[int, int, str]) -> Gen:
    number, pad, method = t
    return Gen(f"{str(number).zfill(pad)}{LWS}{method}", (number, method))


@cache
def cseqs(method: Optional[str] = None, limit: int = 2**31 - 1) -> st.SearchStrategy[Gen]:
    """CSeq = 1*DIGIT LWS Method  (expect: (number, method))"""
    m = methods if method is None else st.just(method)
    return st.tuples(st.integers(0, limit), st.sampled_from([0, 0, 0, 4, 12]), m).map(_cseq)


def cseq_for(method: str) -> st.SearchStrategy[Gen]:
    return st.tuples(st.integers(0, 2**31 - 1), st.sampled_from([0, 0, 0, 4, 12])).map(
        lambda t: _cseq((t[0], t[1], method))
    )


AUTH_NAMES = (
    "realm",
    "nonce",
    "opaque",
    "algorithm",
    "qop",
    "username",
    "uri",
    "response",
    "cnonce",
    "nc",
    "stale",
    "domain",
)
_auth_value = st.one_of(tokens.map(lambda t: (t, t)), quoted_strings(10).map(lambda q: (q.text, q.expect)))
_auth_param = st.tuples(st.one_of(st.sampled_from(AUTH_NAMES), plain_tokens), CASES, _auth_value)


def _auth(t: tuple[str, list[tuple[str, int, tuple[str, str]]]]) -> Gen:
    scheme, params = t
    pieces = []
    expect: dict[str, str] = {}
    for name, case, (value, plain_value) in params:
        name = with_case(name, case)
        pieces.append(f"{name}{SWS}={SWS}{value}")
        expect.setdefault(ascii_lower(name), plain_value)
    return Gen(scheme + LWS + f"{SWS},{SWS}".join(pieces), (scheme, expect))


# challenge / credentials = auth-scheme LWS auth-param *(COMMA auth-param)
# auth-param = auth-param-name EQUAL ( token / quoted-string )  (expect: (scheme, params))
auths = st.tuples(
    st.one_of(st.sampled_from(["Digest", "digest", "DIGEST"]), plain_tokens),
    st.lists(_auth_param, min_size=1, max_size=5),
).map(_auth)


def lists_of(element: st.SearchStrategy[Gen], min_size: int = 1, max_size: int = 3) -> st.SearchStrategy[Gen]:
    """element *(COMMA element); COMMA = SWS "," SWS  (expect: the elements' expects)"""
    return st.lists(element, min_size=min_size, max_size=max_size).map(
        lambda els: Gen(f"{SWS},{SWS}".join(e.text for e in els), [e.expect for e in els])
    )


def token_lists(min_size: int = 1) -> st.SearchStrategy[Gen]:
    return lists_of(tokens.map(lambda t: Gen(t, t)), min_size=min_size, max_size=4)


text_words = chars(TEXT_CHARS, 1, 8)


def free_text(min_words: int = 0) -> st.SearchStrategy[Gen]:
    """TEXT-UTF8-TRIM: words separated by LWS."""
    return st.lists(text_words, min_size=min_words, max_size=5).map(lambda ws: Gen(LWS.join(ws), None))


# callid = word [ "@" word ]
call_ids = st.tuples(chars(WORD_CHARS, 1, 16), st.none() | chars(WORD_CHARS, 1, 12)).map(
    lambda t: t[0] if t[1] is None else f"{t[0]}@{t[1]}"
)


# --------------------------------------------------------------------------------------------
# whitespace

SWS_FORMS = ("", "", " ", "\t", "  ", " \t")
LWS_FORMS = (" ", " ", "\t", "  ", " \t ")
FOLDS = ("{eol} ", "{eol}\t", " {eol} ", "\t{eol}\t\t", "{eol}    ")
# one draw per marker: an index into the forms, a fold one time in four when folding is on
_PICK = st.integers(0, 2**16 - 1)


def render(
    draw: Callable[[st.SearchStrategy[Any]], Any], text: str, fold: bool = False, eol: str = "\r\n"
) -> tuple[str, str]:
    """(wire text, the value a parser reports): markers become whitespace, folded with eol when
    fold is set; a fold reads back as one SP, and the value's ends are trimmed."""
    wire: list[str] = []
    value: list[str] = []
    for piece in _MARKER_SPLIT.split(text):
        if piece != SWS and piece != LWS:
            wire.append(piece)
            value.append(piece)
            continue
        pick = draw(_PICK)
        if fold and pick & 3 == 0:
            wire.append(FOLDS[(pick >> 2) % len(FOLDS)].format(eol=eol))
            value.append(" ")
        else:
            forms = SWS_FORMS if piece == SWS else LWS_FORMS
            form = forms[(pick >> 2) % len(forms)]
            wire.append(form)
            value.append(form)
    return "".join(wire), "".join(value).strip(" \t")


def plain(gen: Gen) -> str:
    """The text with each marker as the least whitespace it allows."""
    return gen.text.replace(SWS, "").replace(LWS, " ")


@st.composite
def values_of(draw: st.DrawFn, gen: st.SearchStrategy[Gen]) -> tuple[str, Any]:
    """(text with whitespace, expect) for a value parser: no folding."""
    g = draw(gen)
    return render(draw, g.text)[0], g.expect


@st.composite
def rendered_texts(draw: st.DrawFn, gen: st.SearchStrategy[Gen]) -> str:
    return render(draw, draw(gen).text)[0]


# --------------------------------------------------------------------------------------------
# whole messages


class GenMessage(NamedTuple):
    """A generated message and everything a parser must find in it."""

    data: bytes
    framed: bytes  # the message without leading empty lines and trailing datagram junk
    is_request: bool
    method: Optional[str]
    uri: Optional[str]
    status_code: int
    reason: Optional[str]
    items: list[tuple[str, str]]
    body: bytes
    call_id: Optional[str]
    cseq: tuple[int, str]
    branch: Optional[str]
    from_tag: Optional[str]
    to_tag: Optional[str]


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# rfc1123-date = wkday "," SP date1 SP time SP "GMT"
dates = st.tuples(st.integers(0, 10**9), st.integers(1970, 2099)).map(
    lambda t: Gen(
        f"{WEEKDAYS[t[0] % 7]}, {t[0] % 28 + 1:02d} {MONTHS[t[0] % 12]} {t[1]} "
        f"{t[0] % 24:02d}:{t[0] % 60:02d}:{t[0] // 60 % 60:02d} GMT",
        None,
    )
)
# media-type = m-type SLASH m-subtype *(SEMI m-parameter)
media_types = st.tuples(
    st.sampled_from(["application/sdp", "text/plain", "multipart/mixed", "message/sipfrag"]), generic_params(2)
).map(lambda t: Gen(t[0].replace("/", f"{SWS}/{SWS}") + t[1].text, None))
_no_expect: Callable[[Gen], Gen] = lambda g: Gen(g.text, None)  # noqa: E731
_contacts = st.one_of(st.just(Gen("*", None)), lists_of(name_addrs().map(_no_expect)))
_routes = lists_of(name_addrs(force_brackets=True).map(_no_expect))
_COMMON_OPTIONAL: list[tuple[str, st.SearchStrategy[Gen]]] = [
    ("Contact", _contacts),
    ("Subject", free_text()),
    ("Supported", token_lists(min_size=0)),
    ("Require", token_lists()),
    ("Allow", token_lists()),
    ("Expires", st.integers(0, 2**32 - 1).map(lambda n: Gen(str(n), None))),
    ("Record-Route", _routes),
    ("Date", dates),
    ("User-Agent", free_text(1)),
    ("Content-Encoding", token_lists()),
]
_REQUEST_OPTIONAL = [*_COMMON_OPTIONAL, ("Route", _routes), ("Authorization", auths), ("Proxy-Authorization", auths)]
_RESPONSE_OPTIONAL = [*_COMMON_OPTIONAL, ("WWW-Authenticate", auths), ("Proxy-Authenticate", auths)]
_optional_picks = st.lists(st.integers(0, 3), min_size=len(_REQUEST_OPTIONAL), max_size=len(_REQUEST_OPTIONAL))
_unknown_values = st.one_of(
    free_text(),
    uris().map(_no_expect),
    generic_params().map(lambda g: Gen(g.text[1:], None)),
    quoted_strings().map(_no_expect),
)
_unknown_headers = st.lists(st.tuples(tokens.map(lambda t: "X-" + t), _unknown_values), max_size=2)
_request_uris = st.one_of(sip_uris(headers=False), sip_uris(headers=False), tel_uris(), absolute_uris)
_reasons = st.lists(text_words, max_size=4).map(" ".join)
_bodies = st.one_of(
    st.just(b""), st.binary(max_size=40), st.text(alphabet=TEXT_CHARS + " \r\n", max_size=60).map(str.encode)
)
_top_vias = st.tuples(st.booleans().flatmap(lambda b: vias(b)), st.lists(vias(), max_size=2))
_from_to = name_addrs(param_names=("tag",))


@st.composite
def messages(draw: st.DrawFn, eol: Optional[str] = None) -> GenMessage:
    """A request or response valid under RFC 3261's grammar (so strict mode must accept it), in
    random header order, compact and long names in random case, folding, odd but legal
    whitespace, and a body framed by Content-Length or by the end of the datagram."""
    eol = eol if eol is not None else draw(st.sampled_from(["\r\n", "\r\n", "\r\n", "\n"]))
    is_request = draw(st.booleans())
    method = draw(methods)
    if is_request:
        ruri = draw(_request_uris)
        start = f"{method} {ruri.text} {draw(st.sampled_from(['SIP/2.0', 'SIP/2.0', 'sip/2.0']))}"
    else:
        code = draw(st.integers(100, 699))
        reason = draw(_reasons)
        start = f"SIP/2.0 {code} {reason}"
    headers: list[tuple[str, Gen]] = []  # (canonical name, value with markers)
    # the Via headers land anywhere in the header order; the first one's first via-parm is the top
    via_tops: dict[int, Gen] = {}
    for _ in range(draw(st.integers(1, 2))):
        top, more = draw(_top_vias)
        via_tops[len(headers)] = top
        headers.append(("Via", Gen(f"{SWS},{SWS}".join(v.text for v in [top, *more]), None)))
    frm = draw(_from_to)
    to = draw(_from_to)
    headers += [("From", frm), ("To", to)]
    call_id = draw(st.none() | call_ids) if draw(st.integers(0, 9)) == 0 else draw(call_ids)
    if call_id is not None:
        headers.append(("Call-ID", Gen(call_id, None)))
    cseq = draw(cseq_for(method))
    headers.append(("CSeq", cseq))
    if is_request and draw(st.integers(0, 4)):
        headers.append(("Max-Forwards", Gen(str(draw(st.integers(0, 255))).zfill(draw(st.integers(1, 4))), None)))
    optional = _REQUEST_OPTIONAL if is_request else _RESPONSE_OPTIONAL
    for (name, strategy), pick in zip(optional, draw(_optional_picks)):
        if pick == 0:
            headers.append((name, draw(strategy)))
    headers += draw(_unknown_headers)
    body = draw(_bodies)
    if body:
        headers.append(("Content-Type", draw(media_types)))
    with_length = draw(st.integers(0, 3)) > 0
    lines: list[str] = []
    items: list[tuple[str, str]] = []
    first_via: Optional[Gen] = None
    for i in draw(st.permutations(range(len(headers)))):
        canonical, gen = headers[i]
        case = draw(CASES)
        if canonical.startswith("X-"):  # unknown: the name stays as written
            wire_name = canonical = with_case(canonical, case)
        else:
            short = COMPACT.get(canonical)
            wire_name = with_case(short if short is not None and case & 4 else canonical, case)
        if canonical == "Via" and first_via is None:
            first_via = via_tops[i]
        colon = (":", ":", " :", "\t:", "  :")[case % 5]  # HCOLON = *( SP / HTAB ) ":" SWS
        wire, value = render(draw, SWS + gen.text + SWS, fold=True, eol=eol)
        lines.append(f"{wire_name}{colon}{wire}")
        items.append((canonical, value))
    if with_length:
        cl = str(len(body)).zfill(draw(st.integers(1, 3)))
        at = draw(st.integers(0, len(lines)))
        case = draw(CASES)
        cl_name = with_case("l" if case & 4 else "Content-Length", case)
        lines.insert(at, f"{cl_name}:{('', ' ', '  ')[case % 3]}{cl}")
        items.insert(at, ("Content-Length", cl))
    framed = (start + eol + "".join(line + eol for line in lines) + eol).encode("utf-8") + body
    lead = draw(st.sampled_from(["", "", "", "\r\n", "\r\n\r\n", "\n"])).encode()
    junk = draw(st.binary(max_size=30)) if with_length else b""
    return GenMessage(
        data=lead + framed + junk,
        framed=framed,
        is_request=is_request,
        method=method if is_request else None,
        uri=ruri.text if is_request else None,
        status_code=0 if is_request else code,
        reason=None if is_request else reason,
        items=items,
        body=body,
        call_id=call_id,
        cseq=cseq.expect,
        branch=None if first_via is None else first_via.expect[4].get("branch"),
        from_tag=frm.expect[2].get("tag"),
        to_tag=to.expect[2].get("tag"),
    )


# --------------------------------------------------------------------------------------------
# damage

INTERESTING = b' \t\r\n:;,"<>\\%=@[]/?.0123456789aZz\x00\x7f\xff\xc3\xa9'
_span_bytes = st.one_of(
    st.lists(st.sampled_from(INTERESTING), min_size=1, max_size=8).map(bytes), st.binary(min_size=1, max_size=8)
)
byte_ops = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete", "duplicate", "replace"]),
        st.integers(0, 2**31),
        st.integers(1, 64),
        st.integers(1, 255),
        _span_bytes,
    ),
    min_size=1,
    max_size=4,
)


def apply_byte_ops(base: bytes, ops: list[tuple[str, int, int, int, bytes]]) -> bytes:
    data = bytearray(base)
    for op, where, span, xor, piece in ops:
        n = len(data)
        if n == 0:
            op = "insert"
        pos = where % max(n, 1)
        end = min(n, pos + span)
        if op == "flip":
            data[pos] ^= xor
        elif op == "insert":
            data[pos:pos] = piece
        elif op == "delete":
            del data[pos:end]
        elif op == "duplicate":
            data[end:end] = data[pos:end]
        else:
            data[pos:end] = piece
    return bytes(data)


def mutated_bytes(bases: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """A base damaged by 1..4 of: flip bits of an octet, insert octets, delete a span,
    duplicate a span, overwrite a span."""
    return st.tuples(bases, byte_ops).map(lambda t: apply_byte_ops(*t))


INTERESTING_TEXT = ' \t:;,"<>\\%=@[]/?.()0123456789aZ\x00\x01\x7f\u00e9\u5927\r\n'
_text_ops = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "duplicate", "replace"]),
        st.integers(0, 2**31),
        st.integers(1, 12),
        chars(INTERESTING_TEXT, 1, 6),
    ),
    min_size=1,
    max_size=3,
)


def _apply_text_ops(base: str, ops: list[tuple[str, int, int, str]]) -> str:
    data = base
    for op, where, span, piece in ops:
        n = len(data)
        if n == 0:
            op = "insert"
        pos = where % max(n, 1)
        end = min(n, pos + span)
        if op == "insert":
            data = data[:pos] + piece + data[pos:]
        elif op == "delete":
            data = data[:pos] + data[end:]
        elif op == "duplicate":
            data = data[:end] + data[pos:end] + data[end:]
        else:
            data = data[:pos] + piece + data[end:]
    return data


def mutated_text(bases: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A header value damaged the same ways, with characters a value parser cares about."""
    return st.tuples(bases, _text_ops).map(lambda t: _apply_text_ops(*t))
