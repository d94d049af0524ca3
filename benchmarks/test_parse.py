"""Parse, and parse + the four fields a transaction layer reads, on both twins and on peers.

Run: ``python -m pytest benchmarks/test_parse.py --benchmark-only``. Peers (the ``bench`` extra):
sippy (``SipRequest`` / ``SipResponse`` over str) and sipmessage (``Message.parse`` over bytes).
The four fields: Call-ID, CSeq, top Via branch, From tag.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from conftest import CORPUS, twin

import sipfast

FILES = sorted(p.name for p in CORPUS.glob("*.sip"))


def sipfast_parse(data: bytes) -> Any:
    return sipfast.parse(data)


def sipfast_fields(data: bytes) -> Any:
    msg = sipfast.parse(data)
    return msg.call_id, msg.cseq, msg.branch, msg.from_tag


def sippy_impl() -> tuple[Callable[[bytes], Any], Callable[[bytes], Any]]:
    sip_request = pytest.importorskip("sippy.SipRequest").SipRequest
    sip_response = pytest.importorskip("sippy.SipResponse").SipResponse

    def parse(data: bytes) -> Any:
        text = data.decode()
        return sip_response(text) if text.startswith("SIP/") else sip_request(text)

    def fields(data: bytes) -> Any:
        msg = parse(data)
        return (
            str(msg.getHFBody("call-id")),
            str(msg.getHFBody("cseq")),
            msg.getHFBody("via").getBranch(),
            msg.getHFBody("from").getTag(),
        )

    return parse, fields


def sipmessage_impl() -> tuple[Callable[[bytes], Any], Callable[[bytes], Any]]:
    message = pytest.importorskip("sipmessage").Message

    def fields(data: bytes) -> Any:
        msg = message.parse(data)
        return msg.call_id, str(msg.cseq), msg.via[0].parameters.get("branch"), msg.from_address.parameters.get("tag")

    return message.parse, fields


def expected(data: bytes) -> tuple[Any, ...]:
    with twin("py"):
        return sipfast_fields(data)


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("impl", ["c", "py", "sippy", "sipmessage"])
@pytest.mark.parametrize("what", ["parse", "fields"])
def test_parse(benchmark: Any, impl: str, what: str, name: str) -> None:
    data = (CORPUS / name).read_bytes()
    benchmark.group = f"{what}:{name.removesuffix('.sip')}"
    if impl in ("c", "py"):
        with twin(impl):
            func = sipfast_fields if what == "fields" else sipfast_parse
            result = benchmark(func, data)
    else:
        parse, fields = sippy_impl() if impl == "sippy" else sipmessage_impl()
        try:
            fields(data)
        except Exception as exc:  # a peer that cannot read this message is left out, not counted
            pytest.skip(f"{impl} cannot parse {name}: {exc!r}")
        result = benchmark(fields if what == "fields" else parse, data)
    if what == "fields":
        assert tuple(result) == expected(data)
