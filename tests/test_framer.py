"""Framer: a byte stream cut into whole SIP messages by Content-Length (RFC 3261 §18.3), on both
twins, fed three ways: the whole stream at once, one byte at a time, and in random chunks."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import GenMessage, messages

from sipfast.errors import SIPParseError

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 23\r\n"
    b"\r\n"
    b"v=0\r\no=- 1 1 IN IP4 x\r\n"
)
INVITE_BODY = b"v=0\r\no=- 1 1 IN IP4 x\r\n"
RINGING = b"SIP/2.0 180 Ringing\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n"
NO_LENGTH = b"SIP/2.0 100 Trying\r\nCSeq: 314159 INVITE\r\n\r\n"
COMPACT = b"MESSAGE sip:a@example.com SIP/2.0\r\nCSeq: 2 MESSAGE\r\nl  : 5\r\n\r\nhello"
BARE_LF = b"MESSAGE sip:a@example.com SIP/2.0\nCSeq: 3 MESSAGE\nCONTENT-LENGTH:\t3\n\nabc"
# a folded line is part of the header above it: "l: 9" there is not a Content-Length header
FOLDED = b"OPTIONS sip:a@example.com SIP/2.0\r\nSubject: one\r\n l: 9\r\nCSeq: 4 OPTIONS\r\nl: 2\r\n\r\nok"
# the body holds an empty line and text that looks like a message: only the length counts
TRICKY_BODY = b"MESSAGE sip:a@example.com SIP/2.0\r\nl: 28\r\n\r\n\r\n\r\nSIP/2.0 200 OK\r\nl: 5\r\n\r\n"
MESSAGES = [INVITE, RINGING, NO_LENGTH, COMPACT, BARE_LF, FOLDED, TRICKY_BODY]
KEEPALIVE = b"\r\n\r\n"


def whole(p: ModuleType, stream: bytes, **kw: Any) -> list[bytes]:
    f = p.Framer(**kw)
    out = f.feed(stream)
    assert f.buffered == 0
    return list(out)


def bytewise(p: ModuleType, stream: bytes, **kw: Any) -> list[bytes]:
    f = p.Framer(**kw)
    out: list[bytes] = []
    for i in range(len(stream)):
        out += f.feed(stream[i : i + 1])
    assert f.buffered == 0
    return out


def chunked(p: ModuleType, stream: bytes, cuts: list[int], **kw: Any) -> list[bytes]:
    f = p.Framer(**kw)
    out: list[bytes] = []
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    for a, b in zip(points, points[1:]):
        out += f.feed(stream[a:b])
    assert f.buffered == 0
    return out


def three_ways(p: ModuleType, stream: bytes, **kw: Any) -> list[bytes]:
    first = whole(p, stream, **kw)
    assert bytewise(p, stream, **kw) == first
    assert chunked(p, stream, [7, 100, 101, 333], **kw) == first
    return first


def raises(reason: str, fn: Any, *args: Any) -> SIPParseError:
    with pytest.raises(SIPParseError) as info:
        fn(*args)
    assert info.value.reason == reason
    return info.value


@pytest.mark.parametrize(
    "message", MESSAGES, ids=["invite", "ringing", "no-length", "compact", "bare-lf", "folded", "tricky-body"]
)
def test_single_message(parser: ModuleType, message: bytes) -> None:
    assert three_ways(parser, message) == [message]


def test_stream_of_messages_with_keepalives(parser: ModuleType) -> None:
    # RFC 5626 §3.5.1: CRLF keep-alives before and between messages are skipped
    stream = KEEPALIVE + b"".join(m + b"\r\n" * (i % 3) for i, m in enumerate(MESSAGES)) + KEEPALIVE
    assert three_ways(parser, stream) == MESSAGES


def test_messages_parse_after_framing(parser: ModuleType) -> None:
    for message in whole(parser, b"".join(MESSAGES)):
        ix = parser.parse_message(message)
        assert ix.data == message


def test_keepalives_alone(parser: ModuleType) -> None:
    f = parser.Framer()
    assert f.feed(b"\r\n") == []
    assert f.feed(b"\r\n\r\n\n") == []
    assert f.buffered == 0
    assert f.feed(b"\r") == []
    assert f.feed(b"\n" + RINGING) == [RINGING]


def test_trailing_bytes_of_the_next_message(parser: ModuleType) -> None:
    for k in (1, 10, INVITE.index(b"\r\n\r\n") + 2, len(INVITE) - 1):
        f = parser.Framer()
        assert f.feed(RINGING + INVITE[:k]) == [RINGING]
        assert f.buffered == k
        assert f.feed(INVITE[k:]) == [INVITE]
        assert f.buffered == 0


def test_header_section_split_inside_the_empty_line(parser: ModuleType) -> None:
    cut = INVITE.index(b"\r\n\r\n")
    for k in range(cut, cut + 5):
        f = parser.Framer()
        assert f.feed(INVITE[:k]) == []
        assert f.feed(INVITE[k:]) == [INVITE]


def test_body_arrives_later(parser: ModuleType) -> None:
    assert INVITE.endswith(b"Content-Length: %d\r\n\r\n" % len(INVITE_BODY) + INVITE_BODY)
    head, body = INVITE[: -len(INVITE_BODY)], INVITE_BODY
    f = parser.Framer()
    assert f.feed(head) == []
    assert f.buffered == len(head)
    assert f.feed(body[:10]) == []
    assert f.feed(body[10:] + RINGING) == [INVITE, RINGING]


def test_content_length_zero_and_missing(parser: ModuleType) -> None:
    # missing on a stream: no body (RFC 3261 §18.3 requires it there; the next octets are the next message)
    zero = b"OPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"
    missing = b"OPTIONS sip:a@example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n"
    assert three_ways(parser, zero + missing + zero) == [zero, missing, zero]


def test_agreeing_content_lengths(parser: ModuleType) -> None:
    m = b"MESSAGE sip:a@example.com SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nhi"
    assert three_ways(parser, m + RINGING) == [m, RINGING]


@pytest.mark.parametrize("value", [b"-1", b"abc", b"", b"1.5", b"+2", b"0x10", b"2 2"])
def test_bad_content_length(parser: ModuleType, value: bytes) -> None:
    m = b"MESSAGE sip:a@example.com SIP/2.0\r\nContent-Length: " + value + b"\r\n\r\nhi"
    raises("bad-content-length", parser.Framer().feed, m)
    f = parser.Framer()
    with pytest.raises(SIPParseError) as info:
        for i in range(len(m)):
            f.feed(m[i : i + 1])
    assert info.value.reason == "bad-content-length"


def test_conflicting_content_lengths(parser: ModuleType) -> None:
    m = b"MESSAGE sip:a@example.com SIP/2.0\r\nContent-Length: 2\r\nl: 3\r\n\r\nhi!"
    exc = raises("bad-content-length", parser.Framer().feed, m)
    assert exc.status == 400


def test_too_large_header_section_is_refused_early(parser: ModuleType) -> None:
    limit = 4096
    f = parser.Framer(max_size=limit)
    fed = f.feed(b"OPTIONS sip:a@example.com SIP/2.0\r\nX-Endless: ")
    assert fed == []
    total = 0
    with pytest.raises(SIPParseError) as info:
        while total < 10 * limit:
            f.feed(b"a" * 1000)
            total += 1000
    assert info.value.reason == "too-large"
    assert info.value.status == 513
    # refused as soon as the buffer passed the limit, not after reading everything
    assert total <= limit + 1000


def test_too_large_body_is_refused_before_it_arrives(parser: ModuleType) -> None:
    head = b"MESSAGE sip:a@example.com SIP/2.0\r\nContent-Length: 1000000\r\n\r\n"
    exc = raises("too-large", parser.Framer(max_size=65536).feed, head)
    assert exc.status == 513
    exc = raises("too-large", parser.Framer().feed, head)  # the default limit is 64 KiB
    huge = b"MESSAGE sip:a@example.com SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n"
    raises("too-large", parser.Framer().feed, huge)


def test_size_limit_is_inclusive(parser: ModuleType) -> None:
    head = b"MESSAGE sip:a@example.com SIP/2.0\r\nContent-Length: 100\r\n\r\n"
    m = head + b"x" * 100
    assert three_ways(parser, m, max_size=len(m)) == [m]
    raises("too-large", parser.Framer(max_size=len(m) - 1).feed, m)


def test_default_limit(parser: ModuleType) -> None:
    assert parser.Framer().max_size == 65536
    body = b"x" * 60000
    m = b"MESSAGE sip:a@example.com SIP/2.0\r\nContent-Length: 60000\r\n\r\n" + body
    assert whole(parser, m) == [m]


def test_input_types(parser: ModuleType) -> None:
    f = parser.Framer()
    assert f.feed(bytearray(RINGING[:20])) == []
    assert f.feed(memoryview(RINGING[20:])) == [RINGING]


# --------------------------------------------------------------------------------------------
# generated streams


def _stream_unit(m: GenMessage) -> bytes:
    """The message as it goes on a stream: without Content-Length it has no body there."""
    if any(name == "Content-Length" for name, _ in m.items):
        return m.framed
    return m.framed[: len(m.framed) - len(m.body)]


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ms=st.lists(messages(), min_size=1, max_size=3),
    gaps=st.lists(st.sampled_from([b"", b"", b"\r\n", b"\r\n\r\n", b"\n"]), min_size=5, max_size=5),
    cuts=st.lists(st.integers(0, 10**6), max_size=12),
)
def test_generated_streams(parser: ModuleType, ms: list[GenMessage], gaps: list[bytes], cuts: list[int]) -> None:
    units = [_stream_unit(m) for m in ms]
    stream = b"".join(gap + unit for gap, unit in zip(gaps, units)) + gaps[-1]
    assert whole(parser, stream) == units
    assert chunked(parser, stream, cuts) == units
    for unit, m in zip(units, ms):
        ix = parser.parse_message(unit, strict=True)
        assert ix.items() == m.items


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ms=st.lists(messages(), min_size=1, max_size=2))
def test_generated_streams_bytewise(parser: ModuleType, ms: list[GenMessage]) -> None:
    units = [_stream_unit(m) for m in ms]
    assert bytewise(parser, b"\r\n".join(units)) == units
