"""Unit tests of the parser core's tokenizer and value parsers, on both twins, from RFC 3261's grammar.

Expected values are written out from the RFCs; the twins are never compared with each other here
(tests/test_differential.py does that).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable, Optional

import pytest

from sipfast.errors import SIPParseError

CRLF = "\r\n"


def msg(*lines: str, body: str = "", start: str = "INVITE sip:bob@biloxi.example.com SIP/2.0") -> bytes:
    """A message from header lines (no line ends): start line, lines, empty line, body."""
    return (start + CRLF + "".join(line + CRLF for line in lines) + CRLF + body).encode("utf-8")


def raises(reason: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> SIPParseError:
    with pytest.raises(SIPParseError) as info:
        fn(*args, **kwargs)
    assert info.value.reason == reason, str(info.value)
    return info.value


# ============================================================================================
# header names

# RFC 3261 §7.3.3 and the extensions that registered a compact form (RFC 3265/6665 o, u;
# RFC 3515 r; RFC 3892 b; RFC 4028 x; RFC 3841 a, j, d; RFC 4474 n; RFC 8224 y)
COMPACT = {
    "i": "Call-ID",
    "m": "Contact",
    "e": "Content-Encoding",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "s": "Subject",
    "k": "Supported",
    "t": "To",
    "v": "Via",
    "o": "Event",
    "r": "Refer-To",
    "b": "Referred-By",
    "u": "Allow-Events",
    "x": "Session-Expires",
    "a": "Accept-Contact",
    "j": "Reject-Contact",
    "d": "Request-Disposition",
    "y": "Identity",
    "n": "Identity-Info",
}


@pytest.mark.parametrize(("short", "long"), sorted(COMPACT.items()))
def test_compact_forms(parser: ModuleType, short: str, long: str) -> None:
    assert parser.canonical_name(short) == long
    assert parser.canonical_name(short.upper()) == long
    assert parser.canonical_name(long.upper()) == long
    assert parser.canonical_name(long.lower()) == long


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("cALL-iD", "Call-ID"),
        ("CSEQ", "CSeq"),
        ("www-authenticate", "WWW-Authenticate"),
        ("mime-version", "MIME-Version"),
        ("p-asserted-identity", "P-Asserted-Identity"),
        ("max-FORWARDS", "Max-Forwards"),
        ("X-Custom-Thing", "X-Custom-Thing"),
        ("x-custom-thing", "x-custom-thing"),
        ("  Via \t", "Via"),
        ("  X-Foo ", "X-Foo"),
        ("ii", "ii"),
    ],
)
def test_canonical_name(parser: ModuleType, name: str, canonical: str) -> None:
    assert parser.canonical_name(name) == canonical


@pytest.mark.parametrize(
    ("name", "is_list"),
    [
        ("Via", True),
        ("v", True),
        ("CONTACT", True),
        ("m", True),
        ("Route", True),
        ("Record-Route", True),
        ("Allow", True),
        ("Supported", True),
        ("k", True),
        ("Require", True),
        ("Accept", True),
        ("Warning", True),
        ("From", False),
        ("t", False),
        ("Call-ID", False),
        ("CSeq", False),
        ("Date", False),
        ("WWW-Authenticate", False),
        ("Authorization", False),
        ("Subject", False),
        ("X-Unknown", False),
    ],
)
def test_is_list_header(parser: ModuleType, name: str, is_list: bool) -> None:
    assert parser.is_list_header(name) is is_list


def test_compact_names_in_a_message(parser: ModuleType) -> None:
    data = msg(
        "v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds",
        "F: Alice <sip:alice@atlanta.example.com>;tag=1928301774",
        "T: Bob <sip:bob@biloxi.example.com>",
        "I: a84b4c76e66710@pc33.atlanta.example.com",
        "cseq: 314159 INVITE",
        "M: <sip:alice@pc33.atlanta.example.com>",
        "c: application/sdp",
        "L: 4",
        "k: 100rel, timer",
        "s: lunch",
        "X-Extra: 1",
        body="v=0\n",
    )
    ix = parser.parse_message(data)
    assert [ix.name(i) for i in range(len(ix))] == [
        "Via",
        "From",
        "To",
        "Call-ID",
        "CSeq",
        "Contact",
        "Content-Type",
        "Content-Length",
        "Supported",
        "Subject",
        "X-Extra",
    ]
    assert ix.get("Call-ID") == ix.get("i") == ix.get("CALL-ID") == "a84b4c76e66710@pc33.atlanta.example.com"
    assert ix.index_of("contact") == ix.index_of("m") == 5
    assert ix.get("x-extra") == "1"
    assert ix.call_id == "a84b4c76e66710@pc33.atlanta.example.com"
    assert ix.from_tag == "1928301774"
    assert ix.to_tag is None
    assert ix.branch == "z9hG4bK776asdhds"
    assert ix.cseq == "314159 INVITE"
    assert ix.body == b"v=0\n"


# ============================================================================================
# the tokenizer: lines, folding, framing


def test_basic_request(parser: ModuleType) -> None:
    data = msg(
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds",
        "Max-Forwards: 70",
        "To: Bob <sip:bob@biloxi.example.com>",
        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774",
        "Call-ID: a84b4c76e66710",
        "CSeq: 314159 INVITE",
        "Content-Length: 0",
    )
    ix = parser.parse_message(data)
    assert ix.is_request
    assert (ix.method, ix.uri, ix.version) == ("INVITE", "sip:bob@biloxi.example.com", "SIP/2.0")
    assert ix.status_code == 0
    assert ix.reason is None
    assert ix.data == data
    assert ix.body == b""
    assert len(ix) == 7
    assert ix.items()[1] == ("Max-Forwards", "70")
    assert ix.offset(0) == len("INVITE sip:bob@biloxi.example.com SIP/2.0\r\n")
    assert data[ix.offset(6) :].startswith(b"Content-Length: 0\r\n")
    assert ix.get_all("Via") == ["SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds"]
    assert ix.get("Route") is None
    assert ix.get_all("Route") == []
    assert ix.index_of("Route") == -1


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, str])
def test_input_types(parser: ModuleType, kind: Any) -> None:
    data = msg("CSeq: 1 INVITE", "Subject: caf\u00e9")
    arg = data.decode("utf-8") if kind is str else kind(data)
    ix = parser.parse_message(arg)
    assert ix.data == data
    assert isinstance(ix.data, bytes)
    assert ix.get("Subject") == "caf\u00e9"


@pytest.mark.parametrize(
    ("folded", "value"),
    [
        ("Subject: one\r\n two", "one two"),
        ("Subject: one\r\n\ttwo", "one two"),
        ("Subject: one \r\n   \t two", "one two"),
        ("Subject: one\r\n two\r\n three\r\n\tfour", "one two three four"),
        ("Subject: one\r\n \r\n two", "one two"),  # an empty continuation adds nothing
        ("Subject:\r\n one", "one"),  # the value starts on the next line
        ("Subject:\r\n \r\n one", "one"),
        ("Subject:", ""),
        ("Subject:   ", ""),
        ("Subject:a  b\tc", "a  b\tc"),  # whitespace inside a line is kept as is
    ],
)
def test_folding(parser: ModuleType, folded: str, value: str) -> None:
    # LWS = [*WSP CRLF] 1*WSP: a line starting with SP or HT continues the previous header
    data = msg("CSeq: 1 INVITE", folded, "X-After: after")
    for strict in (False, True):
        ix = parser.parse_message(data, strict=strict)
        assert ix.items() == [("CSeq", "1 INVITE"), ("Subject", value), ("X-After", "after")]
        assert data[ix.offset(2) :].startswith(b"X-After")


def test_folding_inside_structured_headers(parser: ModuleType) -> None:
    data = msg(
        "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bK1,\r\n SIP/2.0/TCP host2.example.com\r\n\t;branch=z9hG4bK2",
        "From: Alice\r\n <sip:alice@atlanta.example.com>\r\n ;tag=88",
        "CSeq: 7\r\n INVITE",
    )
    ix = parser.parse_message(data, strict=True)
    assert (
        ix.get("Via") == "SIP/2.0/UDP host1.example.com;branch=z9hG4bK1, SIP/2.0/TCP host2.example.com ;branch=z9hG4bK2"
    )
    assert ix.from_tag == "88"
    assert ix.cseq == "7 INVITE"
    vias = [parser.parse_via(v).branch for v in parser.split_list(ix.get("Via"))]
    assert vias == ["z9hG4bK1", "z9hG4bK2"]


def test_bare_lf(parser: ModuleType) -> None:
    data = b"OPTIONS sip:carol@chicago.example.com SIP/2.0\nCall-ID: x1\nSubject: a\n b\nl: 5\n\nhello"
    ix = parser.parse_message(data)
    assert ix.items() == [("Call-ID", "x1"), ("Subject", "a b"), ("Content-Length", "5")]
    assert ix.body == b"hello"
    assert ix.offset(0) == data.index(b"Call-ID")
    assert ix.offset(2) == data.index(b"l: 5")


def test_mixed_line_ends(parser: ModuleType) -> None:
    data = b"OPTIONS sip:carol@chicago.example.com SIP/2.0\r\nCall-ID: x1\nSubject: a\r\n\tb\nl: 2\r\n\nhi"
    ix = parser.parse_message(data)
    assert ix.items() == [("Call-ID", "x1"), ("Subject", "a b"), ("Content-Length", "2")]
    assert ix.body == b"hi"


@pytest.mark.parametrize("prefix", [b"\r\n", b"\r\n\r\n\r\n", b"\n", b"\n\r\n"])
def test_leading_line_ends_are_skipped(parser: ModuleType, prefix: bytes) -> None:
    # RFC 3261 §7.5: empty lines received before the start line are ignored
    data = msg("Call-ID: lead", "Content-Length: 2", body="ok")
    ix = parser.parse_message(prefix + data)
    assert ix.data == data
    assert ix.method == "INVITE"
    assert ix.body == b"ok"
    # offsets stay offsets into the input as given
    assert ix.offset(0) == len(prefix) + data.index(b"Call-ID")


def test_no_content_length_body_is_the_rest(parser: ModuleType) -> None:
    # RFC 3261 §18.3: over a datagram transport the body runs to the end of the datagram
    body = "v=0\r\n\r\no=- 1 1 IN IP4 192.0.2.1\r\n"
    data = msg("Call-ID: nocl", "Content-Type: application/sdp", body=body)
    ix = parser.parse_message(data)
    assert ix.body == body.encode()
    assert ix.data == data


def test_content_length_frames_the_body(parser: ModuleType) -> None:
    data = msg("Call-ID: cl", "Content-Length: 3", body="abcdef")
    ix = parser.parse_message(data)
    assert ix.body == b"abc"
    assert ix.data == data[:-3]
    ix = parser.parse_message(msg("Call-ID: cl", "Content-Length: 0", body="junk"))
    assert ix.body == b""
    ix = parser.parse_message(msg("Call-ID: cl", "Content-Length: 0003  ", body="abc"))
    assert ix.body == b"abc"


def test_content_length_larger_than_the_body(parser: ModuleType) -> None:
    data = msg("Call-ID: cl", "Content-Length: 10", body="abc")
    for strict in (False, True):
        exc = raises("bad-content-length", parser.parse_message, data, strict=strict)
        assert exc.status == 400


@pytest.mark.parametrize("value", ["-1", "-0", "abc", "1.5", "0x10", "+4", "", "4 4", "\u0664", "1e3"])
def test_content_length_not_a_number(parser: ModuleType, value: str) -> None:
    # Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT
    data = msg("Call-ID: cl", f"Content-Length: {value}", body="abcd")
    for strict in (False, True):
        exc = raises("bad-content-length", parser.parse_message, data, strict=strict)
        assert data[exc.offset :].startswith(b"Content-Length:")


def test_content_length_huge(parser: ModuleType) -> None:
    data = msg("Call-ID: cl", "Content-Length: 99999999999999999999999999999", body="abcd")
    raises("bad-content-length", parser.parse_message, data)


def test_two_content_lengths(parser: ModuleType) -> None:
    disagree = msg("Call-ID: cl", "Content-Length: 4", "l: 2", body="abcd")
    for strict in (False, True):
        exc = raises("bad-content-length", parser.parse_message, disagree, strict=strict)
        assert disagree[exc.offset :].startswith(b"l: 2")
    agree = msg("Call-ID: cl", "Content-Length: 4", "l: 4", body="abcd")
    assert parser.parse_message(agree).body == b"abcd"
    # a single-valued header given twice is not the grammar of a message
    exc = raises("bad-content-length", parser.parse_message, agree, strict=True)
    assert agree[exc.offset :].startswith(b"l: 4")


# Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
@pytest.mark.parametrize(
    ("line", "code", "reason"),
    [
        ("SIP/2.0 200 OK", 200, "OK"),
        ("SIP/2.0 100 ", 100, ""),
        ("SIP/2.0 180 Ringing", 180, "Ringing"),
        ("SIP/2.0 699 Whatever Else", 699, "Whatever Else"),
        ("SIP/2.0 486 Занято здесь", 486, "Занято здесь"),
        ("SIP/2.0 404 Not\tFound", 404, "Not\tFound"),
        ("SIP/2.0 200 \u00c7a va \U0001f600", 200, "\u00c7a va \U0001f600"),
    ],
)
def test_status_lines(parser: ModuleType, line: str, code: int, reason: str) -> None:
    data = msg("CSeq: 1 INVITE", start=line)
    for strict in (False, True):
        ix = parser.parse_message(data, strict=strict)
        assert not ix.is_request
        assert (ix.status_code, ix.reason, ix.version) == (code, reason, "SIP/2.0")
        assert (ix.method, ix.uri) == (None, None)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("SIP/2.0 099 Early", "bad-status-code"),
        ("SIP/2.0 700 Late", "bad-status-code"),
        ("SIP/2.0 20 OK", "bad-status-code"),
        ("SIP/2.0 2000 OK", "bad-status-code"),
        ("SIP/2.0 2x0 OK", "bad-status-code"),
        ("SIP/2.0 200OK", "bad-status-code"),
        ("SIP/2.0 4294967301 big", "bad-status-code"),
        ("SIP/2.0", "bad-status-code"),
        ("SIP/3.0 200 OK", "bad-version"),
        ("SIP/2.00 200 OK", "bad-version"),
        ("SIP/ 200 OK", "bad-version"),
    ],
)
def test_bad_status_lines(parser: ModuleType, line: str, reason: str) -> None:
    data = msg("CSeq: 1 INVITE", start=line)
    for strict in (False, True):
        exc = raises(reason, parser.parse_message, data, strict=strict)
        assert exc.offset == 0
        assert exc.status == (505 if reason == "bad-version" else 400)


def test_control_characters_in_the_reason_phrase(parser: ModuleType) -> None:
    # Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
    data = msg("CSeq: 1 INVITE", start="SIP/2.0 200 O\x01K")
    assert parser.parse_message(data).reason == "O\x01K"
    raises("bad-start-line", parser.parse_message, data, strict=True)


def test_version_is_case_insensitive(parser: ModuleType) -> None:
    # RFC 3261 §7.1: the SIP-Version string is case-insensitive
    ix = parser.parse_message(msg("CSeq: 1 INVITE", start="INVITE sip:a@example.com sip/2.0"))
    assert ix.version.upper() == "SIP/2.0"
    ix = parser.parse_message(msg("CSeq: 1 INVITE", start="Sip/2.0 200 OK"))
    assert ix.status_code == 200


@pytest.mark.parametrize(
    ("line", "reason", "strict_only"),
    [
        ("INVITE  sip:a@example.com SIP/2.0", "bad-start-line", True),
        ("INVITE sip:a@example.com SIP/2.0 ", "bad-start-line", True),
        ("INVITE\tsip:a@example.com SIP/2.0", "bad-start-line", True),
        ("INVITE sip:a@example.com", "bad-start-line", False),
        ("INVITE", "bad-start-line", False),
        ("INV(TE sip:a@example.com SIP/2.0", "bad-method", False),
        ("INVITE sip:a@example.com SIP/1.0", "bad-version", False),
        ("INVITE sip:a@example.com HTTP/1.1", "bad-version", False),
        ("INVITE <sip:a@example.com> SIP/2.0", "bad-request-uri", True),
        ("INVITE sip:a@example.com?Subject=x SIP/2.0", "bad-request-uri", True),
        ("INVITE sip:a@ex ample.com SIP/2.0", "bad-start-line", True),
    ],
)
def test_bad_request_lines(parser: ModuleType, line: str, reason: str, strict_only: bool) -> None:
    # Request-Line = Method SP Request-URI SP SIP-Version CRLF
    data = msg("CSeq: 1 INVITE", start=line)
    exc = raises(reason, parser.parse_message, data, strict=True)
    assert exc.offset == 0
    if strict_only:
        parser.parse_message(data)
    else:
        raises(reason, parser.parse_message, data)


def test_extension_method_and_absolute_uri(parser: ModuleType) -> None:
    data = msg("CSeq: 2 X-Custom.Method", start="X-Custom.Method urn:service:sos SIP/2.0")
    for strict in (False, True):
        ix = parser.parse_message(data, strict=strict)
        assert (ix.method, ix.uri) == ("X-Custom.Method", "urn:service:sos")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "bad-start-line"),
        (b"\r\n\r\n", "bad-start-line"),
        (b"INVITE sip:a@example.com SIP/2.0", "bad-start-line"),
        (b"INVITE sip:a@example.com SIP/2.0\r\n continued: x\r\n\r\n", "bad-header"),
        (b"INVITE sip:a@example.com SIP/2.0\r\nno colon here\r\n\r\n", "bad-header"),
        (b"INVITE sip:a@example.com SIP/2.0\r\n: empty\r\n\r\n", "bad-header-name"),
        (b"INVITE sip:a@example.com SIP/2.0\r\n  \t: empty\r\n\r\n", "bad-header"),
        (b"INVITE sip:a@example.com SIP/2.0\r\nTwo Words: x\r\n\r\n", "bad-header-name"),
        (b"INVITE sip:a@example.com SIP/2.0\r\nNul\x00Name: x\r\n\r\n", "bad-header-name"),
    ],
)
def test_bad_framing(parser: ModuleType, data: bytes, reason: str) -> None:
    for strict in (False, True):
        raises(reason, parser.parse_message, data, strict=strict)


def test_header_name_grammar(parser: ModuleType) -> None:
    # HCOLON = *( SP / HTAB ) ":" SWS; header-name = token
    ok = msg("X-Foo \t: bar", "CSeq: 1 INVITE")
    assert parser.parse_message(ok, strict=True).items()[0] == ("X-Foo", "bar")
    lenient_only = msg("X-F{o}o: bar", "CSeq: 1 INVITE")
    assert parser.parse_message(lenient_only).items()[0] == ("X-F{o}o", "bar")
    raises("bad-header-name", parser.parse_message, lenient_only, strict=True)


def test_missing_end_of_headers(parser: ModuleType) -> None:
    data = b"OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
    ix = parser.parse_message(data)
    assert ix.items() == [("Call-ID", "x"), ("CSeq", "1 OPTIONS")]
    assert ix.body == b""
    exc = raises("no-end-of-headers", parser.parse_message, data, strict=True)
    assert exc.offset == len(data)


def test_non_utf8_octets_survive(parser: ModuleType) -> None:
    data = b"OPTIONS sip:a@example.com SIP/2.0\r\nSubject: \xff\xfe ok\r\nCall-ID: x\r\n\r\n"
    ix = parser.parse_message(data)
    value = ix.get("Subject")
    assert value == "\udcff\udcfe ok"
    assert value.encode("utf-8", "surrogateescape") == b"\xff\xfe ok"


def test_limits(parser: ModuleType) -> None:
    data = msg("CSeq: 1 INVITE", "A: 1", "B: 2", body="x" * 100)
    exc = raises("too-large", parser.parse_message, data, max_size=len(data) - 1)
    assert exc.status == 513
    assert parser.parse_message(data, max_size=len(data)).body == b"x" * 100
    exc = raises("too-large", parser.parse_message, data, max_headers=2)
    assert exc.status == 513
    assert len(parser.parse_message(data, max_headers=3)) == 3


def test_default_limits(parser: ModuleType) -> None:
    many = msg(*[f"X-H{i}: {i}" for i in range(257)])
    raises("too-large", parser.parse_message, many)
    assert len(parser.parse_message(msg(*[f"X-H{i}: {i}" for i in range(256)]))) == 256
    big = msg("CSeq: 1 INVITE", body="x" * 65536)
    raises("too-large", parser.parse_message, big)


def test_cseq_is_checked_up_front(parser: ModuleType) -> None:
    raises("bad-cseq", parser.parse_message, msg("CSeq: INVITE"))
    raises("bad-cseq", parser.parse_message, msg("CSeq: 4294967296 INVITE"))
    exc = raises("cseq-method-mismatch", parser.parse_message, msg("Call-ID: x", "CSeq: 1 BYE"))
    assert exc.offset == msg("Call-ID: x", "CSeq: 1 BYE").index(b"CSeq")
    # methods are case-sensitive (RFC 3261 §7.1)
    raises("cseq-method-mismatch", parser.parse_message, msg("CSeq: 1 invite"))
    # a response's CSeq names the request's method, whatever it was
    ix = parser.parse_message(msg("CSeq: 1 BYE", start="SIP/2.0 200 OK"))
    assert ix.cseq == "1 BYE"
    # 2**32-1 parses leniently, not strictly (it must be below 2**31)
    ix = parser.parse_message(msg("CSeq: 4294967295 INVITE"))
    assert parser.parse_cseq(ix.cseq).number == 2**32 - 1
    raises("bad-cseq", parser.parse_message, msg("CSeq: 4294967295 INVITE"), strict=True)


def test_lazy_structural_reads(parser: ModuleType) -> None:
    data = msg(
        "Via: SIP/2.0/UDP",
        'From: "unterminated <sip:a@example.com>;tag=1',
        "To: <sip:b@example.com;tag=2",
        "Call-ID: lazy",
    )
    ix = parser.parse_message(data)
    assert ix.call_id == "lazy"
    assert ix.cseq is None
    raises("bad-via", lambda: ix.branch)
    raises("bad-quoted-string", lambda: ix.from_tag)
    raises("bad-name-addr", lambda: ix.to_tag)
    raises("bad-via", parser.parse_message, data, strict=True)


def test_properties_absent(parser: ModuleType) -> None:
    ix = parser.parse_message(msg("X-Only: 1"))
    assert (ix.call_id, ix.cseq, ix.branch, ix.from_tag, ix.to_tag) == (None, None, None, None, None)
    ix = parser.parse_message(msg("Via:", "From: <sip:a@example.com>"))
    assert ix.branch is None
    assert ix.from_tag is None


def test_first_header_wins_for_properties(parser: ModuleType) -> None:
    ix = parser.parse_message(
        msg(
            "v: SIP/2.0/UDP a.example.com;branch=z9hG4bKtop, SIP/2.0/UDP b.example.com;branch=z9hG4bKmid",
            "Via: SIP/2.0/UDP c.example.com;branch=z9hG4bKlow",
            "To: <sip:b@example.com>;tag=first",
            "t: <sip:b@example.com>;tag=second",
            "i: first-id",
            "Call-ID: second-id",
        )
    )
    assert ix.branch == "z9hG4bKtop"
    assert ix.to_tag == "first"
    assert ix.call_id == "first-id"
    assert ix.get_all("Call-ID") == ["first-id", "second-id"]
    assert ix.get_all("v") == [
        "SIP/2.0/UDP a.example.com;branch=z9hG4bKtop, SIP/2.0/UDP b.example.com;branch=z9hG4bKmid",
        "SIP/2.0/UDP c.example.com;branch=z9hG4bKlow",
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Max-Forwards: 256", "bad-max-forwards"),
        ("Max-Forwards: -1", "bad-max-forwards"),
        ("Max-Forwards: ten", "bad-max-forwards"),
        ("Expires: soon", "bad-expires"),
        ("Expires: 4294967296", "bad-expires"),
        ("Min-Expires: 1.5", "bad-expires"),
        ("Call-ID: has space", "bad-call-id"),
        ("Call-ID: a@b@c", "bad-call-id"),
        ("Content-Type: sdp", "bad-content-type"),
        ("Date: Sat, 13 Nov 2010 23:29:00 PST", "bad-date"),
        ("Retry-After: 1h", "bad-retry-after"),
        ('Warning: 1812 overture "In Progress"', "bad-warning"),
        ("Warning: 399 host unquoted", "bad-warning"),
        ("Allow: INVITE, <ACK>", "bad-header"),
        ("Supported: timer,,100rel", "bad-list"),
        ("Contact: <sip:a@example.com>;q=2", "bad-params"),
        ("Contact: <sip:a@example.com>;expires=soon", "bad-params"),
        ("Contact: ", "bad-name-addr"),
        ("Route: sip:p1.example.com;lr", "bad-name-addr"),
        ("Record-Route: <sip:p1.example.com;lr>,", "bad-list"),
        ("Via: SIP/2.0/UDP h.example.com;ttl=256", "bad-via"),
        ("Via: SIP/2.0/UDP h_x.example.com", "bad-via"),
        ("From: Bad Name, Here <sip:a@example.com>", "bad-name-addr"),
        ("To: <sip:a@example.com>;=x", "bad-params"),
        ("Authorization: Digest username=bob realm=x", "bad-auth"),
        ("WWW-Authenticate: Digest realm=a/b", "bad-auth"),
        ("MIME-Version: 1", "bad-header"),
        ("Timestamp: 1.2.3", "bad-header"),
    ],
)
def test_strict_header_grammar(parser: ModuleType, line: str, reason: str) -> None:
    data = msg("CSeq: 1 INVITE", line)
    exc = raises(reason, parser.parse_message, data, strict=True)
    assert data[exc.offset :].startswith(line.split(":")[0].encode())
    parser.parse_message(data)  # lenient mode leaves the header's inside alone


@pytest.mark.parametrize(
    "line",
    [
        "Max-Forwards: 0",
        "Max-Forwards: 255",
        "Expires: 0",
        "Expires: 4294967295",
        "Call-ID: f81d4fae-7dec-11d0-a765-00a0c91e6bf6@[2001:db8::1]",
        "Content-Type: multipart/mixed ; boundary=unique-boundary-1",
        "Date: Sat, 13 Nov 2010 23:29:00 GMT",
        "Retry-After: 18000 (in a meeting);duration=3600",
        'Warning: 307 isi.edu "Session parameter \'foo\' not understood", 301 [2001:db8::9] "x"',
        "Allow: INVITE, ACK, OPTIONS, CANCEL, BYE",
        'Contact: "Mr. Watson" <sip:watson@worcester.example.com>;q=0.7; expires=3600, <mailto:w@b.example.com>;q=0.1',
        "Contact: *",
        "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
        "Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;ttl=16;maddr=224.2.0.1",
        'Authorization: Digest username="bob", realm="biloxi.example.com", nonce="dcd98b", '
        'uri="sip:bob@biloxi.example.com", response="6629fae4"',
        "MIME-Version: 1.0",
        "Timestamp: 54.2 0.5",
    ],
)
def test_strict_header_grammar_accepts(parser: ModuleType, line: str) -> None:
    ix = parser.parse_message(msg("CSeq: 1 INVITE", line), strict=True)
    assert len(ix) == 2


# ============================================================================================
# URIs


def uri(parser: ModuleType, text: str, strict: bool = False) -> tuple[Any, ...]:
    u = parser.parse_uri(text, strict)
    return (u.scheme, u.user, u.password, u.host, u.port, u.params, u.headers)


# SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("sip:alice@atlanta.example.com", ("sip", "alice", None, "atlanta.example.com", None, {}, {})),
        ("SIP:Alice@Atlanta.Example.COM", ("sip", "Alice", None, "Atlanta.Example.COM", None, {}, {})),
        ("sips:alice@atlanta.example.com:5061", ("sips", "alice", None, "atlanta.example.com", 5061, {}, {})),
        (
            "sip:alice:secretword@atlanta.example.com;transport=tcp",
            ("sip", "alice", "secretword", "atlanta.example.com", None, {"transport": "tcp"}, {}),
        ),
        (
            "sip:+1-212-555-1212:1234@gateway.example.com;user=phone",
            ("sip", "+1-212-555-1212", "1234", "gateway.example.com", None, {"user": "phone"}, {}),
        ),
        ("sip:192.0.2.4", ("sip", None, None, "192.0.2.4", None, {}, {})),
        ("sip:192.0.2.4:0", ("sip", None, None, "192.0.2.4", 0, {}, {})),
        (
            "sip:atlanta.example.com;method=REGISTER?to=alice%40atlanta.example.com",
            (
                "sip",
                None,
                None,
                "atlanta.example.com",
                None,
                {"method": "REGISTER"},
                {"to": "alice@atlanta.example.com"},
            ),
        ),
        (
            "sip:alice@atlanta.example.com?subject=project%20x&priority=urgent",
            ("sip", "alice", None, "atlanta.example.com", None, {}, {"subject": "project x", "priority": "urgent"}),
        ),
        ("sip:[2001:db8::10]", ("sip", None, None, "[2001:db8::10]", None, {}, {})),
        ("sip:[2001:db8::10]:5070", ("sip", None, None, "[2001:db8::10]", 5070, {}, {})),
        ("sip:bob@[::ffff:192.0.2.1]:65535;lr", ("sip", "bob", None, "[::ffff:192.0.2.1]", 65535, {"lr": None}, {})),
        (
            "sip:h.example.com;lr;maddr=239.255.255.1;TTL=15;Transport=UDP",
            (
                "sip",
                None,
                None,
                "h.example.com",
                None,
                {"lr": None, "maddr": "239.255.255.1", "ttl": "15", "transport": "UDP"},
                {},
            ),
        ),
        (
            "sip:h.example.com;%6Cr;n%61me=v%61lue%25%34%31",
            ("sip", None, None, "h.example.com", None, {"lr": None, "name": "value%41"}, {}),
        ),
        ("sip:h.example.com;a=1;A=2", ("sip", None, None, "h.example.com", None, {"a": "1"}, {})),
        ("sip:%61lice@h.example.com", ("sip", "alice", None, "h.example.com", None, {}, {})),
        ("sip:v%61lue%25%34%31@h.example.com", ("sip", "value%41", None, "h.example.com", None, {}, {})),
        ("sip:%00@h.example.com", ("sip", "\x00", None, "h.example.com", None, {}, {})),
        ("sip:%E2%82%AC@h.example.com", ("sip", "\u20ac", None, "h.example.com", None, {}, {})),
        (
            "sip:user;par=u%40example.net@example.com",
            ("sip", "user;par=u@example.net", None, "example.com", None, {}, {}),
        ),
        ("sip:a:@h.example.com", ("sip", "a", "", "h.example.com", None, {}, {})),
        ("sip:h.example.com.", ("sip", None, None, "h.example.com.", None, {}, {})),
    ],
)
def test_parse_sip_uri(parser: ModuleType, text: str, parts: tuple[Any, ...]) -> None:
    for strict in (False, True):
        assert uri(parser, text, strict) == parts
        assert parser.parse_uri(text, strict).text == text


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("tel:+1-201-555-0123", ("tel", "+1-201-555-0123", None, None, None, {}, {})),
        ("tel:7042;phone-context=example.com", ("tel", "7042", None, None, None, {"phone-context": "example.com"}, {})),
        ("TEL:+358-555-1234567;postd=pp22", ("tel", "+358-555-1234567", None, None, None, {"postd": "pp22"}, {})),
        ("mailto:watson@bell-telephone.example.com", ("mailto", None, None, None, None, {}, {})),
        ("http://www.example.com/path?q=1#frag", ("http", None, None, None, None, {}, {})),
        ("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", ("urn", None, None, None, None, {}, {})),
        ("soap.beep://192.0.2.103:3002", ("soap.beep", None, None, None, None, {}, {})),
        ("isbn:2983792873", ("isbn", None, None, None, None, {}, {})),
    ],
)
def test_parse_other_uris(parser: ModuleType, text: str, parts: tuple[Any, ...]) -> None:
    for strict in (False, True):
        assert uri(parser, text, strict) == parts
        assert parser.parse_uri(text, strict).text == text


@pytest.mark.parametrize(
    ("text", "strict_only"),
    [
        ("", False),
        ("example.com", False),
        (":alice@example.com", False),
        ("1sip:alice@example.com", False),
        ("si p:alice@example.com", False),
        ("sip:", False),
        ("sip:alice@", False),
        ("sip:alice@:5060", False),
        ("sip:h.example.com:", False),
        ("sip:h.example.com:abc", False),
        ("sip:h.example.com:65536", False),
        ("sip:h.example.com:-1", False),
        ("sip:h.example.com:123456", False),
        ("sip:[2001:db8::1", False),
        ("sip:[2001:db8::1]5060", False),
        ("sip:[2001:db8::1]:99999", False),
        ("sip:[]", False),
        ("sip:[zz::1]", False),
        ("sip:h.example.com;;lr", False),
        ("sip:h.example.com;=x", False),
        ("sip:h.example.com?noequals", False),
        ("sip:h.example.com?=x", False),
        ("tel:", False),
        ("mailto:", False),
        ("http://a b", False),
        ("sip:h.example.com;a=", True),
        ("sip:al ice@h.example.com", True),
        ("sip:al%zzice@h.example.com", True),
        ("sip:al%4@h.example.com", True),
        ("sip:@h.example.com", True),
        ("sip:h_x.example.com", True),
        ("sip:h.example.com;a<b", True),
        ("sip:h.example.com?a=<b>", True),
        ("tel:12{3}", True),
        (" sip:h.example.com", True),
        ("sip:h.example.com ", True),
        ("http://a^b", True),
    ],
)
def test_bad_uris(parser: ModuleType, text: str, strict_only: bool) -> None:
    raises("bad-uri", parser.parse_uri, text, True)
    if strict_only:
        parser.parse_uri(text)
    else:
        raises("bad-uri", parser.parse_uri, text)


def test_uri_bad_port_offset(parser: ModuleType) -> None:
    exc = raises("bad-uri", parser.parse_uri, "sip:alice@h.example.com:99999")
    assert exc.offset == len("sip:alice@h.example.com:")


def test_uri_lenient_whitespace(parser: ModuleType) -> None:
    u = parser.parse_uri("  sip:alice@h.example.com  ")
    assert (u.user, u.host, u.text) == ("alice", "h.example.com", "sip:alice@h.example.com")


def test_uri_value_properties(parser: ModuleType) -> None:
    u = parser.parse_uri("sip:Alice@H.Example.COM:5060;transport=tcp")
    assert str(u) == u.text
    assert u.hostport == "H.Example.COM:5060"
    assert u.aor == "sip:Alice@h.example.com"


# ============================================================================================
# name-addr / addr-spec


def na(parser: ModuleType, text: str, strict: bool = False) -> tuple[Any, ...]:
    v = parser.parse_name_addr(text, strict)
    return (v.display_name, v.uri.text, v.params)


# name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
# display-name = *(token LWS)/ quoted-string
@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("<sip:alice@atlanta.example.com>", (None, "sip:alice@atlanta.example.com", {})),
        (
            '"Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
            ("Alice", "sip:alice@atlanta.example.com", {"tag": "1928301774"}),
        ),
        (
            '"Alice \\"Al\\" Smith" <sip:alice@atlanta.example.com>',
            ('Alice "Al" Smith', "sip:alice@atlanta.example.com", {}),
        ),
        ('"back\\\\slash" <sip:a@example.com>', ("back\\slash", "sip:a@example.com", {})),
        ('"\\a\\b" <sip:a@example.com>', ("ab", "sip:a@example.com", {})),
        ('"" <sip:a@example.com>', ("", "sip:a@example.com", {})),
        ('"Bell, Alexander"<sip:a.g.bell@example.com>', ("Bell, Alexander", "sip:a.g.bell@example.com", {})),
        ('"caf\u00e9 \u5927" <sip:a@example.com>', ("caf\u00e9 \u5927", "sip:a@example.com", {})),
        ("Bob <sip:bob@biloxi.example.com>", ("Bob", "sip:bob@biloxi.example.com", {})),
        ("Bob  Smith\t<sip:bob@biloxi.example.com>", ("Bob  Smith", "sip:bob@biloxi.example.com", {})),
        (
            "Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8",
            ("Anonymous", "sip:c8oqz84zk7z@privacy.org", {"tag": "hyh8"}),
        ),
        ("<sip:p1.example.com;lr>", (None, "sip:p1.example.com;lr", {})),
        (
            "<sip:a@example.com;transport=tcp>;expires=60;q=0.5",
            (None, "sip:a@example.com;transport=tcp", {"expires": "60", "q": "0.5"}),
        ),
        (
            "<sip:a@example.com?Route=%3Csip:b.example.com%3E>",
            (None, "sip:a@example.com?Route=%3Csip:b.example.com%3E", {}),
        ),
        # addr-spec form: the URI ends at the first ';', what follows are header params
        ("sip:alice@atlanta.example.com;tag=88sja8x", (None, "sip:alice@atlanta.example.com", {"tag": "88sja8x"})),
        (
            "sip:+19725552222@gw1.example.net;unknownparam",
            (None, "sip:+19725552222@gw1.example.net", {"unknownparam": None}),
        ),
        ("sip:a@example.com ; tag = x", (None, "sip:a@example.com", {"tag": "x"})),
        ("tel:+1-201-555-0123;tag=3", (None, "tel:+1-201-555-0123", {"tag": "3"})),
        ("<urn:service:sos>", (None, "urn:service:sos", {})),
        ('<sip:a@example.com>;tag="x;y";TAG=z;Flag', (None, "sip:a@example.com", {"tag": '"x;y"', "flag": None})),
        # addr-spec form: a '<' or '>' inside a quoted header-param value is not a LAQUOT / RAQUOT
        ('sip:a@example.com;p="<x>";tag=1', (None, "sip:a@example.com", {"p": '"<x>"', "tag": "1"})),
        ('tel:169 ; x = "a<b" ', (None, "tel:169", {"x": '"a<b"'})),
        ('<sip:a@example.com>;p="x>y<"', (None, "sip:a@example.com", {"p": '"x>y<"'})),
    ],
)
def test_parse_name_addr(parser: ModuleType, text: str, parts: tuple[Any, ...]) -> None:
    for strict in (False, True):
        assert na(parser, text, strict) == parts


def test_name_addr_lenient_only(parser: ModuleType) -> None:
    # RFC 4475 §3.1.2.11/12: unquoted non-token display names, LWS inside <>, '?' outside <>
    cases = {
        "Bell, Alexander <sip:a.g.bell@example.com>;tag=43": (
            "Bell, Alexander",
            "sip:a.g.bell@example.com",
            {"tag": "43"},
        ),
        "< sip:t.watson@example.org >": (None, "sip:t.watson@example.org", {}),
        "<\tsip:t.watson@example.org>": (None, "sip:t.watson@example.org", {}),
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E": (
            None,
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            {},
        ),
    }
    for text, parts in cases.items():
        assert na(parser, text) == parts
        raises("bad-name-addr", parser.parse_name_addr, text, True)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "bad-name-addr"),
        ("   ", "bad-name-addr"),
        ("<sip:a@example.com", "bad-name-addr"),
        ('"Alice <sip:a@example.com>', "bad-quoted-string"),
        ('"Alice" sip:a@example.com', "bad-name-addr"),
        ("<sip:a@example.com> trailing", "bad-name-addr"),
        ("<sip:a@example.com>;;tag=1", "bad-params"),
        ("<sip:a@example.com>;tag=", "bad-params"),
        ('<sip:a@example.com>;tag="x', "bad-quoted-string"),
        ("<>", "bad-uri"),
        ("<sip:a@example.com:99999>", "bad-uri"),
        ("Alice <nocolon>", "bad-uri"),
    ],
)
def test_bad_name_addr(parser: ModuleType, text: str, reason: str) -> None:
    for strict in (False, True):
        raises(reason, parser.parse_name_addr, text, strict)


def test_empty_angle_brackets_with_spaces(parser: ModuleType) -> None:
    # "< sip:x >" is read leniently; strict mode refuses the LWS inside <> before the URI
    raises("bad-uri", parser.parse_name_addr, "< >")
    raises("bad-name-addr", parser.parse_name_addr, "< >", True)
    assert na(parser, "A. Bell <sip:a@example.com>", True) == ("A. Bell", "sip:a@example.com", {})
    assert na(parser, '"X" <  sip:x@example.com  >;tag=9') == ("X", "sip:x@example.com", {"tag": "9"})
    raises("bad-name-addr", parser.parse_name_addr, '"X" <  sip:x@example.com  >;tag=9', True)


def test_name_addr_error_offsets_are_in_the_whole_value(parser: ModuleType) -> None:
    exc = raises("bad-uri", parser.parse_name_addr, "Alice <sip:a@example.com:99999>")
    assert exc.offset == len("Alice <sip:a@example.com:")
    exc = raises("bad-params", parser.parse_name_addr, "<sip:a@example.com>;tag=1;;x")
    assert exc.offset >= len("<sip:a@example.com>;tag=1")


# ============================================================================================
# Via


def via(parser: ModuleType, text: str, strict: bool = False) -> tuple[Any, ...]:
    v = parser.parse_via(text, strict)
    return (v.protocol, v.transport, v.host, v.port, v.params)


# via-parm = sent-protocol LWS sent-by *( SEMI via-params ); SLASH = SWS "/" SWS
@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds",
            ("SIP/2.0", "UDP", "pc33.atlanta.example.com", None, {"branch": "z9hG4bK776asdhds"}),
        ),
        (
            "SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74b43",
            ("SIP/2.0", "TCP", "client.atlanta.example.com", 5060, {"branch": "z9hG4bK74b43"}),
        ),
        (
            "SIP / 2.0 / UDP first.example.com: 4000;ttl=16 ;maddr=224.2.0.1 ;branch=z9hG4bKa7c6a8dlze.1",
            (
                "SIP/2.0",
                "UDP",
                "first.example.com",
                4000,
                {"ttl": "16", "maddr": "224.2.0.1", "branch": "z9hG4bKa7c6a8dlze.1"},
            ),
        ),
        (
            "SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw",
            ("SIP/2.0", "UDP", "192.0.2.2", None, {"branch": "390skdjuw"}),
        ),
        ("SIP/2.0/tls h.example.com", ("SIP/2.0", "TLS", "h.example.com", None, {})),
        ("SIP/2.0/UNKNOWN h.example.com", ("SIP/2.0", "UNKNOWN", "h.example.com", None, {})),
        ("SIP/2.0/UDP [2001:db8::9:1]", ("SIP/2.0", "UDP", "[2001:db8::9:1]", None, {})),
        ("SIP/2.0/UDP [2001:db8::9:1]:5060;rport", ("SIP/2.0", "UDP", "[2001:db8::9:1]", 5060, {"rport": None})),
        (
            "SIP/2.0/UDP 192.0.2.1:5060;received=192.0.2.207;rport=5061;branch=z9hG4bK1",
            ("SIP/2.0", "UDP", "192.0.2.1", 5060, {"received": "192.0.2.207", "rport": "5061", "branch": "z9hG4bK1"}),
        ),
        (
            "SIP/2.0/UDP h.example.com;received=[2001:db8::1];branch=z9hG4bK2",
            ("SIP/2.0", "UDP", "h.example.com", None, {"received": "[2001:db8::1]", "branch": "z9hG4bK2"}),
        ),
        (
            "SIP/2.0/UDP h.example.com ; Branch = z9hG4bK3",
            ("SIP/2.0", "UDP", "h.example.com", None, {"branch": "z9hG4bK3"}),
        ),
        (
            "SIP/2.0/UDP h.example.com:5060 ;branch=z9hG4bK4",
            ("SIP/2.0", "UDP", "h.example.com", 5060, {"branch": "z9hG4bK4"}),
        ),
        (
            "SIP/2.0/UDP h.example.com;branch=z9hG4bK-.!%66*_+`'~",
            ("SIP/2.0", "UDP", "h.example.com", None, {"branch": "z9hG4bK-.!%66*_+`'~"}),
        ),
        ("sip/2.0/udp h.example.com", ("sip/2.0", "UDP", "h.example.com", None, {})),
    ],
)
def test_parse_via(parser: ModuleType, text: str, parts: tuple[Any, ...]) -> None:
    for strict in (False, True):
        assert via(parser, text, strict) == parts
        v = parser.parse_via(text, strict)
        assert v.branch == parts[4].get("branch")
        assert v.sent_by == (parts[2] if parts[3] is None else f"{parts[2]}:{parts[3]}")


@pytest.mark.parametrize(
    ("text", "reason", "strict_only"),
    [
        ("", "bad-via", False),
        ("SIP/2.0", "bad-via", False),
        ("SIP/2.0/UDP", "bad-via", False),
        ("SIP/2.0/UDP ", "bad-via", False),
        ("SIP/2.0 UDP h.example.com", "bad-via", False),
        ("SIP/2.0/UDPh.example.com", "bad-via", False),
        ("SIP//UDP h.example.com", "bad-via", False),
        ("SIP/2.0/UDP h.example.com:", "bad-via", False),
        ("SIP/2.0/UDP h.example.com:65536", "bad-via", False),
        ("SIP/2.0/UDP h.example.com:50x0", "bad-via", False),
        ("SIP/2.0/UDP h.example.com junk", "bad-via", False),
        ("SIP/2.0/UDP [2001:db8::1", "bad-via", False),
        ("SIP/2.0/UDP [2001:db8::1]x", "bad-via", False),
        ("SIP/2.0/UDP h.example.com;;branch=1", "bad-params", False),
        ("SIP/2.0/UDP h.example.com;branch=", "bad-params", False),
        ('SIP/2.0/UDP h.example.com;branch="open', "bad-quoted-string", False),
        ("SIP/2.0/UDP h_x.example.com", "bad-via", True),
        ("SIP/2.0/UDP h.example.com;br anch=1", "bad-params", True),
        ("SIP/2.0/UDP h.example.com;branch=a<b", "bad-params", True),
    ],
)
def test_bad_via(parser: ModuleType, text: str, reason: str, strict_only: bool) -> None:
    raises(reason, parser.parse_via, text, True)
    if strict_only:
        parser.parse_via(text)
    else:
        raises(reason, parser.parse_via, text)


# ============================================================================================
# generic params and lists


# generic-param = token [ EQUAL gen-value ];  gen-value = token / host / quoted-string
@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("", {}),
        (';a=b;c;d="x;y"', {"a": "b", "c": None, "d": '"x;y"'}),
        ('a=b;c;d="x;y"', {"a": "b", "c": None, "d": '"x;y"'}),
        (";A=B;Flag", {"a": "B", "flag": None}),
        (";a=1;a=2;A=3", {"a": "1"}),
        ("  ;  a = b ; c ", {"a": "b", "c": None}),
        (";received=[2001:db8::1]", {"received": "[2001:db8::1]"}),
        (';q="a\\"b;c"', {"q": '"a\\"b;c"'}),
        (';q=""', {"q": '""'}),
        (';x="caf\u00e9"', {"x": '"caf\u00e9"'}),
        (";maddr=224.2.0.1;ttl=16", {"maddr": "224.2.0.1", "ttl": "16"}),
    ],
)
def test_parse_params(parser: ModuleType, text: str, params: dict[str, Optional[str]]) -> None:
    for strict in (False, True):
        assert parser.parse_params(text, strict) == params


@pytest.mark.parametrize(
    ("text", "reason", "strict_only"),
    [
        (";", "bad-params", False),
        (";;a", "bad-params", False),
        (";a;;b", "bad-params", False),
        (";a;", "bad-params", False),
        (";=x", "bad-params", False),
        (";a=", "bad-params", False),
        (";a= ", "bad-params", False),
        (';a="x" y', "bad-params", False),
        (';a="x', "bad-quoted-string", False),
        (";a b=1", "bad-params", True),
        (";a=<x>", "bad-params", True),
        (";a=x y", "bad-params", True),
        (";a@b=1", "bad-params", True),
    ],
)
def test_bad_params(parser: ModuleType, text: str, reason: str, strict_only: bool) -> None:
    raises(reason, parser.parse_params, text, True)
    if strict_only:
        parser.parse_params(text)
    else:
        raises(reason, parser.parse_params, text)


@pytest.mark.parametrize(
    ("text", "elements"),
    [
        ("", []),
        ("INVITE", ["INVITE"]),
        ("INVITE, ACK ,BYE", ["INVITE", "ACK", "BYE"]),
        (
            '"Doe, John" <sip:j@example.com>, <sip:k@example.com>',
            ['"Doe, John" <sip:j@example.com>', "<sip:k@example.com>"],
        ),
        (
            "<sip:a@example.com;x=1,2>;q=1, <sip:b@example.com>",
            ["<sip:a@example.com;x=1,2>;q=1", "<sip:b@example.com>"],
        ),
        ('"a\\",b" <sip:a@example.com>, c', ['"a\\",b" <sip:a@example.com>', "c"]),
        ('<sip:a@example.com>;p="x,y", b', ['<sip:a@example.com>;p="x,y"', "b"]),
        ('"<" <sip:a@example.com>, b', ['"<" <sip:a@example.com>', "b"]),
        ("  spaced  ,\ttabbed\t", ["spaced", "tabbed"]),
        ("a,,b", ["a", "b"]),
        (",a,", ["a"]),
        ("<unclosed, b", ["<unclosed, b"]),
    ],
)
def test_split_list(parser: ModuleType, text: str, elements: list[str]) -> None:
    assert parser.split_list(text) == elements


@pytest.mark.parametrize(
    ("text", "reason"), [("a,,b", "bad-list"), (",a", "bad-list"), ("a,", "bad-list"), (" ", "bad-list")]
)
def test_split_list_strict(parser: ModuleType, text: str, reason: str) -> None:
    raises(reason, parser.split_list, text, True)


def test_split_list_unclosed_quote(parser: ModuleType) -> None:
    for strict in (False, True):
        raises("bad-quoted-string", parser.split_list, '"a, b', strict)
        raises("bad-quoted-string", parser.split_list, 'x, "a', strict)


# ============================================================================================
# credentials and challenges


# challenge = ("Digest" LWS digest-cln *(COMMA digest-cln)) / other-challenge
@pytest.mark.parametrize(
    ("text", "scheme", "params"),
    [
        (
            'Digest realm="atlanta.example.com", domain="sip:ss1.carrier.example.com", qop="auth", '
            'nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5',
            "Digest",
            {
                "realm": "atlanta.example.com",
                "domain": "sip:ss1.carrier.example.com",
                "qop": "auth",
                "nonce": "f84f1cec41e6cbe5aea9c8e88d359",
                "opaque": "",
                "stale": "FALSE",
                "algorithm": "MD5",
            },
        ),
        (
            'Digest username="bob", realm="biloxi.example.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
            'uri="sip:bob@biloxi.example.com", qop=auth, nc=00000001, cnonce="0a4f113b", '
            'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
            "Digest",
            {
                "username": "bob",
                "realm": "biloxi.example.com",
                "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                "uri": "sip:bob@biloxi.example.com",
                "qop": "auth",
                "nc": "00000001",
                "cnonce": "0a4f113b",
                "response": "6629fae49393a05397450978507c4ef1",
                "opaque": "5ccc069c403ebaf9f0171e9517f40e41",
            },
        ),
        (
            'Digest realm="a \\"quoted\\" realm", nonce="x,y,z", qop="auth,auth-int"',
            "Digest",
            {"realm": 'a "quoted" realm', "nonce": "x,y,z", "qop": "auth,auth-int"},
        ),
        ('Digest REALM="x", Realm="y", NONCE=abc', "Digest", {"realm": "x", "nonce": "abc"}),
        ('digest realm = "x" ,  nonce = y', "digest", {"realm": "x", "nonce": "y"}),
        ("Digest algorithm=SHA-256", "Digest", {"algorithm": "SHA-256"}),
        ("NoOneKnowsThisScheme opaque-data=here", "NoOneKnowsThisScheme", {"opaque-data": "here"}),
        ("Digest", "Digest", {}),
        ('Digest realm="\u5927"', "Digest", {"realm": "\u5927"}),
    ],
)
def test_parse_auth(parser: ModuleType, text: str, scheme: str, params: dict[str, str]) -> None:
    for strict in (False, True):
        a = parser.parse_auth(text, strict)
        assert (a.scheme, a.params, a.token) == (scheme, params, None)


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        # RFC 7617 §2: "Aladdin:open sesame"; token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" /
        # "~" / "+" / "/" ) *"=". "name==" cannot be an auth-param ("=" is not a token), so it is
        # the token68 form
        ("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        ("Basic YWJjZA=", "YWJjZA="),
        ("Bearer mF_9.B5f-4.1JqM", "mF_9.B5f-4.1JqM"),
        ("Negotiate a+b/c~d", "a+b/c~d"),
        # "realm=" is not an auth-param (no value) but is a token68
        ("Digest realm=", "realm="),
    ],
)
def test_parse_auth_token68(parser: ModuleType, text: str, token: str) -> None:
    for strict in (False, True):
        a = parser.parse_auth(text, strict)
        assert (a.scheme, a.params, a.token) == (text.split()[0], {}, token)


@pytest.mark.parametrize(
    ("text", "reason", "strict_only"),
    [
        ("", "bad-auth", False),
        ("   ", "bad-auth", False),
        ("Digest,realm=x", "bad-auth", False),
        ("Digest realm=,", "bad-auth", False),
        ("Digest realm= , nonce=1", "bad-auth", False),
        ('Digest realm="x" nonce="y"', "bad-auth", False),
        ('Digest realm="x', "bad-quoted-string", False),
        ('Digest realm="x", =y', "bad-auth", False),
        ("Digest realm=a/b", "bad-auth", True),
        ("Digest realm=a@b", "bad-auth", True),
    ],
)
def test_bad_auth(parser: ModuleType, text: str, reason: str, strict_only: bool) -> None:
    raises(reason, parser.parse_auth, text, True)
    if strict_only:
        parser.parse_auth(text)
    else:
        raises(reason, parser.parse_auth, text)


def test_auth_control_character_in_quoted_value(parser: ModuleType) -> None:
    text = 'Digest realm="a\x01b"'
    assert parser.parse_auth(text).params == {"realm": "a\x01b"}
    raises("bad-quoted-string", parser.parse_auth, text, True)


# ============================================================================================
# CSeq


# CSeq = "CSeq" HCOLON 1*DIGIT LWS Method; the number MUST be less than 2**31 (RFC 3261 §8.1.1.5)
@pytest.mark.parametrize(
    ("text", "number", "method", "strict_ok"),
    [
        ("314159 INVITE", 314159, "INVITE", True),
        ("0 ACK", 0, "ACK", True),
        ("0009   INVITE", 9, "INVITE", True),
        ("  1\tBYE  ", 1, "BYE", True),
        ("2147483647 REGISTER", 2**31 - 1, "REGISTER", True),
        ("2147483648 REGISTER", 2**31, "REGISTER", False),
        ("4294967295 REGISTER", 2**32 - 1, "REGISTER", False),
        ("00000000000000000004294967295 X", 2**32 - 1, "X", False),
        ("12 !interesting-Method0123456789_*+`.%indeed'~", 12, "!interesting-Method0123456789_*+`.%indeed'~", True),
    ],
)
def test_parse_cseq(parser: ModuleType, text: str, number: int, method: str, strict_ok: bool) -> None:
    c = parser.parse_cseq(text)
    assert (c.number, c.method) == (number, method)
    assert isinstance(c.number, int)
    if strict_ok:
        assert tuple(parser.parse_cseq(text, True)) == (number, method)
    else:
        raises("bad-cseq", parser.parse_cseq, text, True)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "INVITE",
        "1",
        "1 ",
        "12INVITE",
        "-1 INVITE",
        "+1 INVITE",
        "1.0 INVITE",
        "4294967296 INVITE",
        "36893488147419103232 INVITE",
        "1 INV ITE",
        "1 INV(ITE",
        "1 INVITE x",
        "\u0661 INVITE",
    ],
)
def test_bad_cseq(parser: ModuleType, text: str) -> None:
    for strict in (False, True):
        raises("bad-cseq", parser.parse_cseq, text, strict)


# ============================================================================================
# small helpers


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("plain", "plain"),
        ("v%61lue%25%34%31", "value%41"),  # never unescaped twice (RFC 4475 §3.1.1.3)
        ("%00", "\x00"),
        ("%41%42%43", "ABC"),
        ("%e2%82%AC", "\u20ac"),
        ("%ff", "\udcff"),
        ("100%", "100%"),
        ("%4", "%4"),
        ("%zz%4g", "%zz%4g"),
        ("%%41", "%A"),
        ("caf\u00e9%20x", "caf\u00e9 x"),
    ],
)
def test_unescape(parser: ModuleType, text: str, plain: str) -> None:
    assert parser.unescape(text) == plain


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ('"abc"', "abc"),
        ('"a\\"b"', 'a"b'),
        ('"a\\\\b"', "a\\b"),
        ('"\\x"', "x"),
        ('""', ""),
        ("abc", "abc"),
        ('"', '"'),
        ('"abc', '"abc'),
        ('abc"', 'abc"'),
    ],
)
def test_unquote(parser: ModuleType, text: str, plain: str) -> None:
    assert parser.unquote(text) == plain


def test_errors_are_value_errors(parser: ModuleType) -> None:
    exc = raises("bad-uri", parser.parse_uri, "nothing")
    assert isinstance(exc, ValueError)
    assert exc.status == 400
    assert exc.offset == 0
