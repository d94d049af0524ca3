"""Parse, and parse + the four fields a transaction layer reads, on both twins and on peers.

Run: ``python -m pytest benchmarks/test_parse.py --benchmark-only``. Peers (the ``bench`` extra):
sippy (``SipRequest`` / ``SipResponse`` over str) and sipmessage (``Message.parse`` over bytes).
The four fields: Call-ID, CSeq, top Via branch, From tag.

- ``c`` and ``py`` are the twins themselves: ``parse_message`` and the index's fields.
- ``api-c`` and ``api-py`` are the same through the public classes (``sipfast.parse`` and the
  Request's properties) on each twin: what a user of sipfast pays.

Every implementation runs the same way: a loop of BATCH parses of the message with the reads
written inline, as a program that handles a stream of messages does; one benchmark call is one
loop, and the times printed at the end are per message (median / BATCH). A fresh message object is
made on every parse: nothing is cached across iterations.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from conftest import CORPUS, twin

import sipfast

FILES = sorted(p.name for p in CORPUS.glob("*.sip"))
BATCH = 50
Runner = Callable[[bytes], Any]


def core_impl(name: str) -> tuple[Runner, Runner]:
    parse_message = pytest.importorskip(f"sipfast._parser_{name}").parse_message

    def parse(data: bytes, n: range = range(BATCH)) -> Any:
        for _ in n:
            ix = parse_message(data)
        return ix

    def fields(data: bytes, n: range = range(BATCH)) -> Any:
        for _ in n:
            ix = parse_message(data)
            result = ix.call_id, ix.cseq, ix.branch, ix.from_tag
        return result

    return parse, fields


def api_impl() -> tuple[Runner, Runner]:
    parse_message = sipfast.parse

    def parse(data: bytes, n: range = range(BATCH)) -> Any:
        for _ in n:
            msg = parse_message(data)
        return msg

    def fields(data: bytes, n: range = range(BATCH)) -> Any:
        for _ in n:
            msg = parse_message(data)
            result = msg.call_id, msg.cseq, msg.branch, msg.from_tag
        return result

    return parse, fields


def sippy_impl() -> tuple[Runner, Runner]:
    sip_request = pytest.importorskip("sippy.SipRequest").SipRequest
    sip_response = pytest.importorskip("sippy.SipResponse").SipResponse

    def parse(data: bytes, n: range = range(BATCH)) -> Any:
        for _ in n:
            text = data.decode()
            msg = sip_response(text) if text.startswith("SIP/") else sip_request(text)
        return msg

    def fields(data: bytes, n: range = range(BATCH)) -> Any:
        for _ in n:
            text = data.decode()
            msg = sip_response(text) if text.startswith("SIP/") else sip_request(text)
            result = (
                str(msg.getHFBody("call-id")),
                str(msg.getHFBody("cseq")),
                msg.getHFBody("via").getBranch(),
                msg.getHFBody("from").getTag(),
            )
        return result

    return parse, fields


def sipmessage_impl() -> tuple[Runner, Runner]:
    message = pytest.importorskip("sipmessage").Message

    def parse(data: bytes, n: range = range(BATCH)) -> Any:
        for _ in n:
            msg = message.parse(data)
        return msg

    def fields(data: bytes, n: range = range(BATCH)) -> Any:
        for _ in n:
            msg = message.parse(data)
            result = (
                msg.call_id,
                str(msg.cseq),
                msg.via[0].parameters.get("branch"),
                msg.from_address.parameters.get("tag"),
            )
        return result

    return parse, fields


def expected(data: bytes) -> tuple[Any, ...]:
    msg = sipfast.parse(data)
    return msg.call_id, msg.cseq, msg.branch, msg.from_tag


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("impl", ["c", "py", "api-c", "api-py", "sippy", "sipmessage"])
@pytest.mark.parametrize("what", ["parse", "fields"])
def test_parse(benchmark: Any, impl: str, what: str, name: str) -> None:
    data = (CORPUS / name).read_bytes()
    benchmark.group = f"{what}:{name.removesuffix('.sip')}"
    benchmark.extra_info["batch"] = BATCH
    want = expected(data)
    if impl.startswith("api-"):
        with twin(impl[4:]):
            parse, fields = api_impl()
            result = benchmark(fields if what == "fields" else parse, data)
    else:
        if impl in ("c", "py"):
            parse, fields = core_impl(impl)
        else:
            parse, fields = sippy_impl() if impl == "sippy" else sipmessage_impl()
            try:
                fields(data, range(1))
            except Exception as exc:  # a peer that cannot read this message is left out, not counted
                pytest.skip(f"{impl} cannot parse {name}: {exc!r}")
        result = benchmark(fields if what == "fields" else parse, data)
    if what == "fields":
        assert tuple(result) == want
