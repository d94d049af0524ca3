"""Hostile input on both twins: huge lines, header floods, unbalanced delimiters, long lists, deep
folding. Each input must parse or raise SIPParseError; an alarm turns a hang into a failure (it is
a guard, not a speed check: the limit is far above what any of these needs)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from types import FrameType, ModuleType
from typing import Any, Callable, Optional

import pytest

from sipfast.errors import SIPParseError

ALARM_SECONDS = 20
MB = 1 << 20


class Hang(Exception):
    pass


def _on_alarm(signum: int, frame: Optional[FrameType]) -> None:
    raise Hang(f"no answer within {ALARM_SECONDS} s")


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(ALARM_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn's result, or the SIPParseError it raised; anything else fails the test."""
    try:
        return fn(*args, **kwargs)
    except SIPParseError as exc:
        assert exc.reason
        assert isinstance(exc.offset, int)
        return exc


def msg(*lines: bytes, body: bytes = b"") -> bytes:
    return (
        b"OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n" + b"".join(line + b"\r\n" for line in lines) + b"\r\n" + body
    )


def test_one_megabyte_header_line(parser: ModuleType) -> None:
    data = msg(b"CSeq: 1 OPTIONS", b"X-Long: " + b"a" * MB)
    with pytest.raises(SIPParseError) as info:
        parser.parse_message(data)
    assert (info.value.reason, info.value.status) == ("too-large", 513)
    ix = parser.parse_message(data, max_size=2 * MB)
    assert ix.get("X-Long") == "a" * MB
    ix = parser.parse_message(data, strict=True, max_size=2 * MB)
    assert len(ix) == 2


def test_one_megabyte_request_uri(parser: ModuleType) -> None:
    uri = b"sip:" + b"u" * MB + b"@example.com"
    data = b"OPTIONS " + uri + b" SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n"
    with pytest.raises(SIPParseError) as info:
        parser.parse_message(data)
    assert info.value.reason == "too-large"
    for strict in (False, True):
        ix = parser.parse_message(data, strict=strict, max_size=2 * MB)
        assert ix.uri == uri.decode()
        assert parser.parse_uri(ix.uri, strict).user == "u" * MB


def test_ten_thousand_headers(parser: ModuleType) -> None:
    data = msg(*[b"X-H%d: %d" % (i, i) for i in range(10000)])
    for strict in (False, True):
        for size in (65536, MB):  # the header count is refused whatever the size limit
            with pytest.raises(SIPParseError) as info:
                parser.parse_message(data, strict=strict, max_size=size)
            assert (info.value.reason, info.value.status) == ("too-large", 513)
    ix = parser.parse_message(data, max_headers=10000, max_size=MB)
    assert len(ix) == 10000
    assert ix.get("x-h9999") == "9999"
    assert ix.index_of("X-H5000") == 5000
    with pytest.raises(SIPParseError) as info:
        parser.parse_message(data, max_headers=9999, max_size=MB)
    assert info.value.reason == "too-large"


def test_ten_thousand_compact_headers(parser: ModuleType) -> None:
    data = msg(*[b"v: SIP/2.0/UDP h%d" % i for i in range(10000)], b"CSeq: 1 OPTIONS")
    ix = parser.parse_message(data, max_headers=20000, max_size=MB)
    assert len(ix.get_all("Via")) == 10000
    assert ix.branch is None


DELIMITERS = ['"', "<", ">", ";", ",", "\\", "%", "=", ":", "[", "@", "?", "/", "\t", "\x00", "\r"]
PATTERNS = {
    "run": lambda c: c * 100000,
    "alternating": lambda c: ("x" + c) * 50000,
    "after-uri": lambda c: "sip:a@example.com" + c * 100000,
    "in-quotes": lambda c: '"' + c * 100000,
    "after-scheme": lambda c: "Digest realm=" + c * 100000,
}
VALUE_PARSERS = ("parse_uri", "parse_name_addr", "parse_via", "parse_params", "split_list", "parse_auth", "parse_cseq")


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
@pytest.mark.parametrize("delimiter", DELIMITERS, ids=[f"{ord(c):02x}" for c in DELIMITERS])
def test_unbalanced_delimiters_in_values(parser: ModuleType, delimiter: str, pattern: str) -> None:
    text = PATTERNS[pattern](delimiter)
    for fn in VALUE_PARSERS:
        for strict in (False, True):
            outcome(getattr(parser, fn), text, strict)
    assert isinstance(parser.unescape(text), str)
    assert isinstance(parser.unquote(text), str)
    assert parser.canonical_name(text) == text.strip(" \t")


@pytest.mark.parametrize("delimiter", ['"', "<", ";", ","])
def test_unbalanced_delimiters_in_a_message(parser: ModuleType, delimiter: str) -> None:
    flood = delimiter.encode() * 100000
    data = msg(
        b"Via: SIP/2.0/UDP h;branch=" + flood,
        b"From: " + flood + b"<sip:a@example.com>;tag=" + flood,
        b"To: <sip:b@example.com>" + flood,
        b"Contact: " + flood,
        b"CSeq: 1 OPTIONS",
    )
    for strict in (False, True):
        ix = outcome(parser.parse_message, data, strict=strict, max_size=MB)
        if isinstance(ix, SIPParseError):
            assert strict, "lenient mode leaves header insides alone"
            continue
        for attr in ("branch", "from_tag", "to_tag"):
            outcome(getattr, ix, attr)
        outcome(parser.split_list, ix.get("Contact"), strict)


def test_sixty_kilobyte_via_list(parser: ModuleType) -> None:
    vias = [
        b"SIP/2.0/UDP proxy%d.example.com:5060;branch=z9hG4bK%d;received=192.0.2.%d" % (i, i, i % 256)
        for i in range(800)
    ]
    value = b", ".join(vias)
    assert 60000 < len(value) < 65000
    data = msg(b"CSeq: 1 OPTIONS", b"Via: " + value)
    for strict in (False, True):
        ix = parser.parse_message(data, strict=strict)
        assert ix.branch == "z9hG4bK0"
        elems = parser.split_list(ix.get("Via"), strict)
        assert len(elems) == 800
        last = parser.parse_via(elems[-1], strict)
        assert (last.host, last.port, last.branch) == ("proxy799.example.com", 5060, "z9hG4bK799")


def test_deep_folding(parser: ModuleType) -> None:
    # 250 000 continuation lines: one value, each fold read as one SP
    data = msg(b"CSeq: 1 OPTIONS", b"X-Folded: a" + b"\r\n b" * 250000)
    with pytest.raises(SIPParseError) as info:
        parser.parse_message(data)
    assert info.value.reason == "too-large"
    ix = parser.parse_message(data, max_size=2 * MB)
    value = ix.get("X-Folded")
    assert len(value) == 1 + 2 * 250000
    assert value == "a" + " b" * 250000


def test_deep_folding_of_empty_lines(parser: ModuleType) -> None:
    data = msg(b"CSeq: 1 OPTIONS", b"Subject: x" + b"\r\n \t" * 200000 + b"\r\n y")
    ix = parser.parse_message(data, max_size=2 * MB)
    assert ix.get("Subject") == "x y"


def test_folding_within_the_default_limit(parser: ModuleType) -> None:
    data = msg(b"CSeq: 1 OPTIONS", b"Via: SIP/2.0/UDP h" + b"\r\n ;x" * 12000)
    assert len(data) < 65536
    ix = parser.parse_message(data)
    assert outcome(lambda: ix.branch) is None


def test_many_params(parser: ModuleType) -> None:
    text = ";" + ";".join(f"p{i}=v{i}" for i in range(50000))
    for strict in (False, True):
        params = parser.parse_params(text, strict)
        assert len(params) == 50000
        assert params["p49999"] == "v49999"
    uri = parser.parse_uri("sip:a@example.com" + text)
    assert len(uri.params) == 50000


def test_many_auth_params(parser: ModuleType) -> None:
    text = "Digest " + ", ".join(f'p{i}="v{i}"' for i in range(50000))
    for strict in (False, True):
        auth = parser.parse_auth(text, strict)
        assert len(auth.params) == 50000


def test_many_list_elements(parser: ModuleType) -> None:
    text = ", ".join(f'"n{i}, x" <sip:u{i}@example.com>' for i in range(20000))
    for strict in (False, True):
        elems = parser.split_list(text, strict)
        assert len(elems) == 20000
        assert parser.parse_name_addr(elems[-1], strict).display_name == "n19999, x"


def test_many_escapes(parser: ModuleType) -> None:
    text = "%41" * 100000
    assert parser.unescape(text) == "A" * 100000
    assert parser.parse_uri(f"sip:{text}@example.com", True).user == "A" * 100000


def test_binary_garbage(parser: ModuleType) -> None:
    for data in (bytes(range(256)) * 200, b"\x00" * 60000, b"\r" * 60000, b"\n" * 60000, b":" * 60000, b"\xff" * 60000):
        for strict in (False, True):
            outcome(parser.parse_message, data, strict=strict)
            outcome(parser.parse_message, msg(b"X: " + data), strict=strict, max_size=MB)


def test_framer_floods(parser: ModuleType) -> None:
    f = parser.Framer()
    assert f.feed(b"\r\n" * 500000) == []
    assert f.buffered == 0
    small = b"OPTIONS sip:a@example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"
    out = parser.Framer().feed(small * 20000)
    assert len(out) == 20000
    assert out[-1] == small
    # a header section that never ends, one octet at a time
    f = parser.Framer(max_size=8192)
    with pytest.raises(SIPParseError) as info:
        f.feed(b"OPTIONS sip:a@example.com SIP/2.0\r\nX: ")
        for _ in range(20000):
            f.feed(b"a")
    assert info.value.reason == "too-large"
