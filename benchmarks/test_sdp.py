"""SDP bodies: parse, parse + read every media's address, port, formats and rtpmap, write back.

Run: ``python -m pytest benchmarks/test_sdp.py --benchmark-only``. ``sipfast.sdp`` is one plain
Python module on both twins, so it runs as impl ``py``; the peer is sippy's ``SdpBody`` (the
``bench`` extra), which parses into per-line objects. Bodies: ``corpus/av_offer.sdp`` (an audio +
video offer, 31 lines) and the SDP of ``corpus/invite_sdp.sip`` (11 lines).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from conftest import CORPUS

from sipfast.sdp import SDP


def _bodies() -> dict[str, bytes]:
    invite = (CORPUS / "invite_sdp.sip").read_bytes()
    return {
        "av_offer": (CORPUS / "av_offer.sdp").read_bytes(),
        "invite_sdp": invite[invite.index(b"\r\n\r\n") + 4 :],
    }


BODIES = _bodies()


def sipfast_read(data: bytes) -> Any:
    sdp = SDP.parse(data)
    return [(m.media, m.addr, m.port, m.formats, m.rtpmap) for m in sdp.media]


def sippy_impl() -> tuple[Callable[[bytes], Any], Callable[[bytes], Any]]:
    sdp_body = pytest.importorskip("sippy.SdpBody").SdpBody

    def parse(data: bytes) -> Any:
        return sdp_body(data.decode())

    def read(data: bytes) -> Any:
        body = sdp_body(data.decode())
        out = []
        for section in body.sections:
            conn = section.c_header or body.c_header
            rtpmap = {}
            for attr in section.a_headers:
                if attr.name == "rtpmap":
                    pt, _, rest = attr.value.partition(" ")
                    name, clock, *channels = rest.split("/")
                    rtpmap[pt] = (name, int(clock), int(channels[0]) if channels else None)
            m = section.m_header
            out.append((str(m.type), conn.addr, m.port, m.formats, rtpmap))
        return out

    return parse, read


@pytest.mark.parametrize("impl", ["py", "sippy"])
@pytest.mark.parametrize("name", sorted(BODIES))
def test_parse(benchmark: Any, impl: str, name: str) -> None:
    benchmark.group = f"sdp-parse:{name}"
    data = BODIES[name]
    parse = SDP.parse if impl == "py" else sippy_impl()[0]
    result = benchmark(parse, data)
    assert result is not None


@pytest.mark.parametrize("impl", ["py", "sippy"])
@pytest.mark.parametrize("name", sorted(BODIES))
def test_parse_read_media(benchmark: Any, impl: str, name: str) -> None:
    benchmark.group = f"sdp-read:{name}"
    data = BODIES[name]
    read = sipfast_read if impl == "py" else sippy_impl()[1]
    result = benchmark(read, data)
    # both read the same facts (every format of these bodies has an rtpmap line)
    same = [(r[1], r[2], [str(f) for f in r[3]], r[4]) for r in result]
    assert same == [(r[1], r[2], r[3], r[4]) for r in sipfast_read(data)]


@pytest.mark.parametrize("impl", ["py"])
def test_write_unmodified(benchmark: Any, impl: str) -> None:
    benchmark.group = "sdp-write:av_offer"
    sdp = SDP.parse(BODIES["av_offer"])
    assert benchmark(bytes, sdp) == BODIES["av_offer"]


@pytest.mark.parametrize("impl", ["py"])
def test_parse_relay_write(benchmark: Any, impl: str) -> None:
    # what a media-relaying proxy does per INVITE: new address and ports, version + 1, write
    benchmark.group = "sdp-relay:av_offer"
    data = BODIES["av_offer"]

    def relay() -> bytes:
        sdp = SDP.parse(data)
        sdp.replace_media_listen([("203.0.113.5", 40000), ("203.0.113.5", 40002)])
        sdp.bump_version()
        return bytes(sdp)

    assert b"c=IN IP4 203.0.113.5\r\n" in benchmark(relay)
