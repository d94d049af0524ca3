"""The two twins of the parser core agree: on generated messages and values, on damaged copies of
every corpus message, and on the regression cases in KNOWN_CASES.

Agreement means the same snapshot (every field of the index, or every field of a value) or the
same SIPParseError (.reason, .offset, .status). Generated input also has to give the answers the
generator expects, on each twin alone, so these tests bite while only one twin is built.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from strategies import (
    GenMessage,
    apply_byte_ops,
    auths,
    byte_ops,
    cseqs,
    generic_params,
    lists_of,
    messages,
    mutated_text,
    name_addrs,
    plain,
    rendered_texts,
    tokens,
    uris,
    values_of,
    vias,
)

from sipfast import _parser_py
from sipfast.errors import SIPParseError

ROOT = Path(__file__).parent.parent
CORPUS: list[tuple[str, bytes]] = sorted(
    [(p.name, p.read_bytes()) for p in (ROOT / "tests" / "data" / "rfc4475").glob("*.dat")]
    + [(p.name, p.read_bytes()) for p in (ROOT / "benchmarks" / "corpus").glob("*.sip")]
)
CORPUS_BYTES = [data for _, data in CORPUS]

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# a whole generated message costs about as much to draw as fifty values
MESSAGE_SETTINGS = settings(SETTINGS, max_examples=80)


def _load_c() -> ModuleType | None:
    try:
        return importlib.import_module("sipfast._parser_c")
    except ImportError:
        return None


def test_c_twin_loaded() -> None:
    """The C twin must be built, unless the environment asks for the pure-Python twin only."""
    if os.environ.get("SIPFAST_PURE_PYTHON"):
        pytest.skip("SIPFAST_PURE_PYTHON is set")
    try:
        importlib.import_module("sipfast._parser_c")
    except ImportError as exc:
        pytest.fail(f"sipfast._parser_c did not load: {exc}")


@pytest.fixture(scope="module")
def twins() -> tuple[ModuleType, ModuleType]:
    c = _load_c()
    if c is None:
        pytest.skip("sipfast._parser_c is not built")
    return c, _parser_py


# --------------------------------------------------------------------------------------------
# snapshots


def _error(exc: SIPParseError) -> tuple[Any, ...]:
    return ("error", type(exc).__name__, exc.reason, exc.offset, exc.status)


def _guard(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except SIPParseError as exc:
        return _error(exc)


def snapshot(p: ModuleType, data: bytes, strict: bool) -> Any:
    """Everything a caller can read from parse_message(data), or the error it raises."""
    try:
        ix = p.parse_message(data, strict=strict)
    except SIPParseError as exc:
        return _error(exc)
    n = len(ix)
    return {
        "data": ix.data,
        "is_request": ix.is_request,
        "method": ix.method,
        "uri": ix.uri,
        "version": ix.version,
        "status_code": ix.status_code,
        "reason": ix.reason,
        "body": ix.body,
        "items": ix.items(),
        "names": [ix.name(i) for i in range(n)],
        "offsets": [ix.offset(i) for i in range(n)],
        "call_id": ix.call_id,
        "cseq": ix.cseq,
        "branch": _guard(lambda: ix.branch),
        "from_tag": _guard(lambda: ix.from_tag),
        "to_tag": _guard(lambda: ix.to_tag),
        "lookups": [(ix.index_of(name), ix.get(name), ix.get_all(name)) for name in ("v", "Contact", "x-nope")],
    }


def value_snapshot(p: ModuleType, fn: str, text: str, strict: bool) -> Any:
    try:
        if fn in ("unescape", "unquote", "canonical_name", "is_list_header"):
            result = getattr(p, fn)(text)
        else:
            result = getattr(p, fn)(text, strict)
    except SIPParseError as exc:
        return _error(exc)
    return (type(result).__name__, _plain(result))


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        return tuple(_plain(x) for x in v)
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def assert_twins_agree_on_message(twins: tuple[ModuleType, ModuleType], data: bytes) -> None:
    c, py = twins
    for strict in (False, True):
        assert snapshot(c, data, strict) == snapshot(py, data, strict), f"strict={strict} input={data!r}"


VALUE_PARSERS = ("parse_uri", "parse_name_addr", "parse_via", "parse_params", "split_list", "parse_auth", "parse_cseq")
TEXT_HELPERS = ("unescape", "unquote", "canonical_name", "is_list_header")


def assert_twins_agree_on_value(
    twins: tuple[ModuleType, ModuleType], text: str, fns: tuple[str, ...] = VALUE_PARSERS
) -> None:
    c, py = twins
    for fn in fns:
        for strict in (False, True):
            assert value_snapshot(c, fn, text, strict) == value_snapshot(py, fn, text, strict), (
                f"{fn}({text!r}, strict={strict})"
            )
    for fn in TEXT_HELPERS:
        assert value_snapshot(c, fn, text, False) == value_snapshot(py, fn, text, False), f"{fn}({text!r})"


# --------------------------------------------------------------------------------------------
# regression cases: (what, input, strict). Every disagreement found between the twins is
# reduced and kept here, whichever twin was wrong; edge cases where the twins' different
# strategies (fast paths, byte vs str scanning) could part ways are here from the start.

KNOWN_CASES: list[tuple[str, Any]] = [
    ("parse_auth", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
    ("parse_auth", "Basic YWJjZA="),
    ("parse_auth", 'Digest realm="x",,nonce="y"'),
    ("parse_auth", "Digest realm=a/b"),
    ("parse_uri", "sip:h;a="),
    ("parse_uri", "sip:%00@h"),
    ("parse_uri", "sip:us%zzer@h"),
    ("parse_uri", "sip:h:005060"),
    ("parse_uri", "sip:[::1]:70000"),
    ("parse_uri", "SIP:H;LR;lr=1"),
    ("parse_uri", "sip:a@b@c"),
    ("parse_uri", "sip:\u00e9@h\u00e9"),
    ("parse_params", ";a b=1"),
    ("parse_params", ";\u00c9=1;\u00e9=2"),
    ("parse_params", ';a="x\\"y;z"'),
    ("parse_params", '; a = "b" '),
    ("parse_name_addr", '"a\\"b" <sip:x@y>'),
    ("parse_name_addr", '"" <sip:x@y>'),
    ("parse_name_addr", "<sip:x@y>;tag=1;TAG=2"),
    ("parse_name_addr", "sip:x@y?a=b;tag=1"),
    ("parse_name_addr", "<sip:x@y>>"),
    ("parse_name_addr", "a<b<sip:x@y>"),
    ("parse_name_addr", 'sip:a@b;p="<"'),
    ("parse_name_addr", 'sip:a@b;p="<x>";tag=1'),
    ("parse_name_addr", 'x <sip:a@b>;p="<"'),
    ("parse_auth", "Digest realm="),
    ("parse_auth", "Digest realm=,"),
    ("parse_via", "SIP/2.0/UDP h:0005060"),
    ("parse_via", "SIP/2.0/UDP h:5060;branch"),
    ("parse_via", "SIP/2.0/UDP [::1]:5060;received=::1"),
    ("parse_via", "SIP/2.0/UDP h,"),
    ("parse_via", "SIP/2.0/udp h\u00e9"),
    ("parse_cseq", "0000000004294967295 A"),
    ("parse_cseq", "000000001 A"),
    ("parse_cseq", "1234567890 A"),
    ("parse_cseq", "\u0661 A"),
    ("split_list", '"a\\", b'),
    ("split_list", "<a, b>, c>"),
    ("split_list", "a>, b"),
    ("unescape", "%C3%A9%e9%"),
    ("unquote", '"\\'),
    ("canonical_name", "\u0130"),
    ("canonical_name", "K"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nl: 00000000000000000000004\r\nCSeq: 1 INVITE\r\n\r\nbody"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nl: 99999999999999999999\r\n\r\nbody"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 01\r\n\r\nbody"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nX\xff: \xfe\r\n\r\n"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nX: a\rb\r\n\r\n"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nX: a\r\n\r\n \r\n"),
    ("message", b"INVITE sip:a@b SIP/2.0\nX: a\n\r\nbody"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nX: a\r\n\r"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nX: a"),
    ("message", b"\r\n\n\rINVITE sip:a@b SIP/2.0\r\n\r\n"),
    ("message", b"SIP/2.0 200\r\n\r\n"),
    ("message", b"SIP/2.0  200  OK \r\n\r\n"),
    ("message", b"SIP/2.0\t200\tOK\r\n\r\n"),
    ("message", b"INVITE\tsip:a@b\tSIP/2.0\r\n\r\n"),
    ("message", b"INVITE sip:a@b c SIP/2.0\r\n\r\n"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nCSeq: 1 INVITE\r\nCSeq: x\r\n\r\n"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=1,\r\n\r\n"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nVia:\r\nv: SIP/2.0/UDP h;branch=2\r\n\r\n"),
    ("message", b"INVITE sip:a@b SIP/2.0\r\nFrom: x\r\n\t\r\n ;tag=9\r\n\r\n"),
    ("message", "OPTIONS sip:\u00e9@b SIP/2.0\r\nSubject: \u5927\r\n\r\n".encode()),
]


@pytest.mark.parametrize(("what", "data"), KNOWN_CASES, ids=[f"{i}-{w}" for i, (w, _) in enumerate(KNOWN_CASES)])
def test_known_cases(twins: tuple[ModuleType, ModuleType], what: str, data: Any) -> None:
    if what == "message":
        assert_twins_agree_on_message(twins, data)
        return
    c, py = twins
    for strict in (False, True):
        assert value_snapshot(c, what, data, strict) == value_snapshot(py, what, data, strict), f"strict={strict}"


# --------------------------------------------------------------------------------------------
# the corpus, whole and damaged


@pytest.mark.parametrize(("name", "data"), CORPUS, ids=[n for n, _ in CORPUS])
def test_corpus_agrees(twins: tuple[ModuleType, ModuleType], name: str, data: bytes) -> None:
    assert_twins_agree_on_message(twins, data)
    try:
        ix = twins[1].parse_message(data)
    except SIPParseError:
        return
    for i in range(len(ix)):
        assert_twins_agree_on_value(twins, ix.value(i))


PER_FILE = settings(SETTINGS, max_examples=20)


@pytest.mark.parametrize(("name", "data"), CORPUS, ids=[n for n, _ in CORPUS])
@PER_FILE
@given(ops=byte_ops)
def test_mutated_corpus_agrees(twins: tuple[ModuleType, ModuleType], name: str, data: bytes, ops: Any) -> None:
    assert_twins_agree_on_message(twins, apply_byte_ops(data, ops))


def _corpus_values() -> list[str]:
    out: list[str] = []
    for data in CORPUS_BYTES:
        try:
            ix = _parser_py.parse_message(data)
        except SIPParseError:
            continue
        out.extend(ix.value(i) for i in range(len(ix)))
    return sorted(set(out))


CORPUS_VALUES = _corpus_values()


@SETTINGS
@given(text=mutated_text(st.sampled_from(CORPUS_VALUES)))
def test_mutated_corpus_values_agree(twins: tuple[ModuleType, ModuleType], text: str) -> None:
    assert_twins_agree_on_value(twins, text)


# --------------------------------------------------------------------------------------------
# generated messages and values


@MESSAGE_SETTINGS
@given(m=messages(), ops=byte_ops)
def test_generated_messages_agree(twins: tuple[ModuleType, ModuleType], m: GenMessage, ops: Any) -> None:
    assert_twins_agree_on_message(twins, m.data)
    assert_twins_agree_on_message(twins, apply_byte_ops(m.data, ops))


any_value = st.one_of(
    uris().map(plain),
    name_addrs().map(plain),
    vias().map(plain),
    generic_params().map(plain),
    auths.map(plain),
    cseqs(limit=2**40).map(plain),
    lists_of(name_addrs()).map(plain),
    tokens,
)
rendered_value = rendered_texts(
    st.one_of(uris(), name_addrs(), vias(), generic_params(), auths, cseqs(limit=2**40), lists_of(name_addrs()))
)


@SETTINGS
@given(text=st.one_of(any_value, rendered_value, mutated_text(rendered_value)))
def test_generated_values_agree(twins: tuple[ModuleType, ModuleType], text: str) -> None:
    assert_twins_agree_on_value(twins, text)


# --------------------------------------------------------------------------------------------
# each twin alone: generated input gives the generator's answers


def _check_message(p: ModuleType, m: GenMessage, strict: bool) -> Any:
    ix = p.parse_message(m.data, strict=strict)
    assert ix.data == m.framed
    assert ix.is_request is m.is_request
    assert (ix.method, ix.uri, ix.status_code, ix.reason) == (m.method, m.uri, m.status_code, m.reason)
    assert ix.version.upper() == "SIP/2.0"
    assert ix.items() == m.items
    assert ix.body == m.body
    assert ix.call_id == m.call_id
    assert tuple(p.parse_cseq(ix.cseq)) == m.cseq
    assert ix.branch == m.branch
    assert ix.from_tag == m.from_tag
    assert ix.to_tag == m.to_tag
    for i in range(len(ix)):
        off = ix.offset(i)
        assert m.data[off - 1 : off] == b"\n"
        raw = m.data[off:].split(b":", 1)[0].decode("utf-8")
        assert p.canonical_name(raw) == ix.name(i)
    return ix


@MESSAGE_SETTINGS
@given(m=messages())
def test_generated_messages_parse(parser: ModuleType, m: GenMessage) -> None:
    _check_message(parser, m, strict=False)
    _check_message(parser, m, strict=True)
    _round_trip(parser, m.data)


def _reserialise(ix: Any) -> bytes:
    if ix.is_request:
        start = f"{ix.method} {ix.uri} {ix.version}"
    else:
        start = f"{ix.version} {ix.status_code} {ix.reason}"
    lines = [f"{name}: {value}" for name, value in ix.items() if name != "Content-Length"]
    lines.append(f"Content-Length: {len(ix.body)}")
    body: bytes = ix.body
    return "\r\n".join([start, *lines, "", ""]).encode("utf-8", "surrogateescape") + body


def _round_trip(p: ModuleType, data: bytes) -> None:
    for strict in (False, True):
        try:
            ix = p.parse_message(data, strict=strict)
        except SIPParseError:
            continue
        again = p.parse_message(_reserialise(ix), strict=strict)
        assert [item for item in again.items() if item[0] != "Content-Length"] == [
            item for item in ix.items() if item[0] != "Content-Length"
        ]
        assert again.body == ix.body
        assert (again.method, again.uri, again.status_code, again.reason) == (
            ix.method,
            ix.uri,
            ix.status_code,
            ix.reason,
        )


@pytest.mark.parametrize(("name", "data"), CORPUS, ids=[n for n, _ in CORPUS])
def test_round_trip_corpus(parser: ModuleType, name: str, data: bytes) -> None:
    _round_trip(parser, data)


@pytest.mark.parametrize(("name", "data"), CORPUS, ids=[n for n, _ in CORPUS])
@settings(PER_FILE, max_examples=8)
@given(ops=byte_ops)
def test_round_trip_mutated_corpus(parser: ModuleType, name: str, data: bytes, ops: Any) -> None:
    _round_trip(parser, apply_byte_ops(data, ops))


# value parsers against the generator's expectations, each twin alone


def _uri_tuple(u: Any) -> tuple[Any, ...]:
    return (u.scheme, u.user, u.password, u.host, u.port, u.params, u.headers, u.text)


def _display_matches(got: Any, want: Any) -> bool:
    if isinstance(want, list):  # tokens: the whitespace between them is kept as written
        return isinstance(got, str) and got.split() == want
    return bool(got == want)


@SETTINGS
@given(v=values_of(uris()))
def test_generated_uris_parse(parser: ModuleType, v: tuple[str, Any]) -> None:
    text, want = v
    for strict in (False, True):
        assert _uri_tuple(parser.parse_uri(text, strict)) == want


@SETTINGS
@given(v=values_of(name_addrs()))
def test_generated_name_addrs_parse(parser: ModuleType, v: tuple[str, Any]) -> None:
    text, (display, uri, params) = v
    for strict in (False, True):
        got = parser.parse_name_addr(text, strict)
        assert _display_matches(got.display_name, display)
        assert _uri_tuple(got.uri) == uri
        assert got.params == params


@SETTINGS
@given(v=values_of(lists_of(name_addrs(), max_size=4)))
def test_generated_name_addr_lists_split(parser: ModuleType, v: tuple[str, Any]) -> None:
    text, wants = v
    for strict in (False, True):
        elems = parser.split_list(text, strict)
        assert len(elems) == len(wants)
        for elem, (display, uri, params) in zip(elems, wants):
            got = parser.parse_name_addr(elem, strict)
            assert _display_matches(got.display_name, display)
            assert _uri_tuple(got.uri) == uri
            assert got.params == params


@SETTINGS
@given(v=values_of(vias()))
def test_generated_vias_parse(parser: ModuleType, v: tuple[str, Any]) -> None:
    text, want = v
    for strict in (False, True):
        got = parser.parse_via(text, strict)
        assert (got.protocol, got.transport, got.host, got.port, got.params) == want


@SETTINGS
@given(v=values_of(generic_params(max_size=5)))
def test_generated_params_parse(parser: ModuleType, v: tuple[str, Any]) -> None:
    text, want = v
    for strict in (False, True):
        assert parser.parse_params(text, strict) == want


@SETTINGS
@given(v=values_of(auths))
def test_generated_auths_parse(parser: ModuleType, v: tuple[str, Any]) -> None:
    text, (scheme, params) = v
    for strict in (False, True):
        got = parser.parse_auth(text, strict)
        assert (got.scheme, got.params, got.token) == (scheme, params, None)


@SETTINGS
@given(v=values_of(cseqs(limit=2**32 - 1)))
@example(v=("4294967295 INVITE", (2**32 - 1, "INVITE")))
def test_generated_cseqs_parse(parser: ModuleType, v: tuple[str, Any]) -> None:
    text, want = v
    assert tuple(parser.parse_cseq(text)) == want
    if want[0] < 2**31:
        assert tuple(parser.parse_cseq(text, True)) == want
    else:
        with pytest.raises(SIPParseError) as info:
            parser.parse_cseq(text, True)
        assert info.value.reason == "bad-cseq"


# leading whitespace is skipped by every lenient value parser: the answer does not change


@SETTINGS
@given(
    fn=st.sampled_from(["parse_uri", "parse_name_addr", "parse_via", "parse_cseq", "parse_auth", "parse_params"]),
    text=st.one_of(any_value, rendered_value, mutated_text(rendered_value)),
    pad=st.sampled_from([" ", "\t", "  \t"]),
)
def test_leading_whitespace_is_ignored(parser: ModuleType, fn: str, text: str, pad: str) -> None:
    f = getattr(parser, fn)
    try:
        want = _plain(f(text))
    except SIPParseError as exc:
        with pytest.raises(SIPParseError) as info:
            f(pad + text)
        assert info.value.reason == exc.reason
        return
    assert _plain(f(pad + text)) == want
