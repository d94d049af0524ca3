"""SDP bodies: RFC 4317 examples, the SDP of RFC 4475 and the bench corpus, building, editing,
finding SDP in message bodies (multipart included), broken bodies, generated round trips."""

from __future__ import annotations

import base64
import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipfast.errors import SDPParseError
from sipfast.sdp import (
    DIRECTIONS,
    SDP,
    STATIC_PAYLOAD_TYPES,
    Connection,
    Media,
    Origin,
    find_sdp,
    split_multipart,
)

DATA = Path(__file__).parent / "data"
RFC4317 = DATA / "rfc4317"
RFC4475 = DATA / "rfc4475"
CORPUS = Path(__file__).parent.parent / "benchmarks" / "corpus"


def split_message(raw: bytes) -> tuple[str | None, bytes]:
    """(Content-Type, body) of a SIP message, read with a few lines and no SIP parser."""
    end = raw.find(b"\r\n\r\n")
    head = raw[:end].decode("utf-8", "surrogateescape")
    head = re.sub(r"\r\n[ \t]+", " ", head).replace("\r\n", "\n")  # unfold
    body = raw[end + 4 :]
    ctype = re.search(r"(?im)^(?:content-type|c)[ \t]*:[ \t]*(.*?)[ \t]*$", head)
    length = re.search(r"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
    if length:
        body = body[: int(length.group(1))]
    return (ctype.group(1) if ctype else None), body


def sdp_messages() -> list[str]:
    names = []
    for path in sorted(RFC4475.glob("*.dat")):
        ctype, body = split_message(path.read_bytes())
        if ctype and ctype.split(";")[0].strip().lower() == "application/sdp" and body:
            names.append(path.name)
    return names


def rfc4317(name: str) -> SDP:
    return SDP.parse((RFC4317 / f"{name}.sdp").read_bytes())


# ---- RFC 4317 ----------------------------------------------------------------------------

A = "host.atlanta.example.com"
B = "host.biloxi.example.com"

# media per example as printed in RFC 4317: (media, port, formats, direction, address)
EXPECTED_4317: dict[str, list[tuple[str, int, str, str, str]]] = {
    "2.1_offer": [("audio", 49170, "0 8 97", "sendrecv", A), ("video", 51372, "31 32", "sendrecv", A)],
    "2.1_answer": [("audio", 49174, "0", "sendrecv", B), ("video", 49170, "32", "sendrecv", B)],
    "2.2_answer": [("audio", 49172, "0 8", "sendrecv", B), ("video", 0, "31", "sendrecv", B)],
    "2.2_second_offer": [("audio", 51372, "0", "sendrecv", A), ("video", 0, "31", "sendrecv", A)],
    "2.2_second_answer": [("audio", 49172, "0", "sendrecv", B), ("video", 0, "31", "sendrecv", B)],
    "2.3_answer": [("audio", 49172, "99", "sendrecv", B), ("video", 51374, "31", "sendrecv", B)],
    "2.4_offer": [("audio", 49170, "0 97", "sendrecv", A), ("audio", 49172, "98", "sendonly", A)],
    "2.4_answer": [("audio", 49172, "97", "sendrecv", B), ("audio", 49174, "98", "recvonly", B)],
    "2.5_second_offer": [
        ("audio", 49178, "97", "sendrecv", "newhost.biloxi.example.com"),
        ("video", 49188, "31", "sendrecv", "newhost.biloxi.example.com"),
    ],
    "2.6_answer": [("audio", 0, "0", "sendrecv", B), ("audio", 49170, "97 101", "sendrecv", B)],
    "2.7_second_answer": [
        ("audio", 49172, "99", "sendrecv", B),
        ("video", 51374, "31 32", "sendrecv", B),
    ],
    "2.8_answer": [
        ("audio", 49174, "0", "sendrecv", B),
        ("video", 49172, "32", "sendrecv", "otherhost.biloxi.example.com"),
    ],
    "3.1_answer": [("audio", 49172, "97", "sendonly", "placeholder.biloxi.example.com")],
    "3.2_second_offer": [
        ("audio", 49172, "97", "sendonly", B),
        ("audio", 49174, "98", "recvonly", B),
    ],
    "4.1_second_offer": [
        ("audio", 49170, "97", "sendrecv", B),
        ("audio", 48282, "98", "recvonly", "mediaserver.biloxi.example.com"),
    ],
    "4.1_second_answer": [("audio", 49170, "97", "sendrecv", A), ("audio", 49172, "98", "sendonly", A)],
    "4.3_second_answer": [("audio", 49170, "97", "sendrecv", A), ("video", 0, "31", "sendrecv", A)],
    "5.1_offer": [],
    "5.1_second_answer": [("audio", 49172, "97", "sendrecv", B)],
    "5.2_offer": [("audio", 23442, "97", "sendrecv", "0.0.0.0")],
    "5.3_answer": [("audio", 9322, "97", "sendrecv", "0.0.0.0")],
}

# payload type -> encoding name, as the rtpmap lines of RFC 4317 give them
ENCODINGS = {
    "0": "PCMU",
    "8": "PCMA",
    "31": "H261",
    "32": "MPV",
    "97": "iLBC",
    "98": "telephone-event",
    "99": "iLBC",
    "101": "telephone-event",
}
CLOCK = {"H261": 90000, "MPV": 90000}

ALL_4317 = sorted(p.stem for p in RFC4317.glob("*.sdp"))


def test_rfc4317_files_are_all_there() -> None:
    sections = ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8"]
    sections += ["3.1", "3.2", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3"]
    for section in sections:
        assert f"{section}_offer" in ALL_4317
        assert f"{section}_answer" in ALL_4317
    assert len(ALL_4317) == 54


@pytest.mark.parametrize("name", ALL_4317)
def test_rfc4317_parse_and_round_trip(name: str) -> None:
    raw = (RFC4317 / f"{name}.sdp").read_bytes()
    sdp = SDP.parse(raw)
    assert bytes(sdp) == raw
    assert sdp.as_bytes() == raw
    assert str(sdp) == raw.decode()
    assert sdp.session_name == " "  # RFC 4317 section 1: a single space
    assert sdp.timing == (0, 0)
    origin = sdp.origin
    assert origin is not None
    assert origin.username in ("alice", "bob")
    assert (origin.nettype, origin.addrtype) == ("IN", "IP4")
    for m in sdp.media:
        assert m.proto == "RTP/AVP"
        assert m.port_count is None
        assert m.direction in DIRECTIONS
        # every format of RFC 4317 has an rtpmap line
        assert sorted(m.rtpmap) == sorted(m.formats)
        for pt, (encoding, clock, channels) in m.rtpmap.items():
            assert encoding == ENCODINGS[pt]
            assert clock == CLOCK.get(encoding, 8000)
            assert channels is None
    assert SDP.parse(bytes(sdp)) == sdp


@pytest.mark.parametrize("name", sorted(EXPECTED_4317))
def test_rfc4317_media(name: str) -> None:
    sdp = rfc4317(name)
    got = [(m.media, m.port, " ".join(m.formats), m.direction, m.addr) for m in sdp.media]
    assert got == EXPECTED_4317[name]
    assert sdp.get_media_addr() == [(m[4], m[1]) for m in EXPECTED_4317[name]]


def _exchanges() -> list[tuple[str, str]]:
    pairs = []
    for name in ALL_4317:
        if name.endswith("_offer"):
            answer = name[: -len("offer")] + "answer"
            if answer in ALL_4317:
                pairs.append((name, answer))
    return pairs


COMPATIBLE = {
    "sendrecv": {"sendrecv", "sendonly", "recvonly", "inactive"},
    "sendonly": {"recvonly", "inactive"},
    "recvonly": {"sendonly", "inactive"},
    "inactive": {"inactive"},
}


@pytest.mark.parametrize(("offer_name", "answer_name"), _exchanges())
def test_rfc4317_answer_matches_offer(offer_name: str, answer_name: str) -> None:
    # RFC 3264 section 6: one m= line per offered stream, same order and media type; an
    # accepted stream shares a codec with the offer (by encoding: 2.3 maps iLBC 97 to 99; in
    # 3.2 the answer repeats a codec the offer dropped), a rejected one has port 0; the
    # directions pair up as section 6.1 says, except in 3.2's second exchange, where RFC 4317
    # answers a sendonly stream with its sendrecv first offer, which section 6.1 does not allow.
    offer, answer = rfc4317(offer_name), rfc4317(answer_name)
    assert len(answer.media) == len(offer.media)
    assert offer.origin is not None and answer.origin is not None
    assert offer.origin.username != answer.origin.username
    for o, a in zip(offer.media, answer.media):
        assert a.media == o.media
        if a.port == 0:
            continue
        offered = {enc.lower() for enc, _, _ in o.rtpmap.values()}
        assert {enc.lower() for enc, _, _ in a.rtpmap.values()} & offered
        if offer_name != "3.2_second_offer":
            assert a.direction in COMPATIBLE[o.direction]


def _by_party(section: str) -> dict[str, list[SDP]]:
    order = ["offer", "answer", "second_offer", "second_answer"]
    out: dict[str, list[SDP]] = {}
    for role in order:
        name = f"{section}_{role}"
        if name in ALL_4317:
            sdp = rfc4317(name)
            assert sdp.origin is not None
            out.setdefault(sdp.origin.username, []).append(sdp)
    return out


def _without_origin(sdp: SDP) -> list[str]:
    return [line for line in sdp.lines if not line.startswith("o=")]


@pytest.mark.parametrize("section", sorted({n.split("_")[0] for n in ALL_4317}))
def test_rfc4317_versions(section: str) -> None:
    # RFC 3264 section 8: a changed SDP carries sess-version + 1 and the same sess-id
    for sdps in _by_party(section).values():
        for before, after in zip(sdps, sdps[1:]):
            assert before.origin is not None and after.origin is not None
            assert after.origin.sess_id == before.origin.sess_id
            if _without_origin(before) != _without_origin(after):
                assert after.origin.sess_version == before.origin.sess_version + 1
            elif section in ("2.5", "5.2", "5.3"):
                # the RFC says so for 2.5; its 3.2 repeats an SDP with a new version
                assert after == before


def test_rfc4317_2_2_second_offer_by_editing_the_offer() -> None:
    sdp = rfc4317("2.2_offer")
    audio, video = sdp.media
    audio.port = 51372
    audio.formats = ["0"]
    audio.attributes = [("rtpmap", "0 PCMU/8000")]
    video.port = 0
    video.formats.remove("32")
    video.remove_attribute("rtpmap")
    video.add_attribute("rtpmap", "31 H261/90000")
    assert sdp.bump_version() == 2890844527
    assert bytes(sdp) == (RFC4317 / "2.2_second_offer.sdp").read_bytes()


def test_rfc4317_3_2_hold_one_stream() -> None:
    sdp = rfc4317("3.2_answer")
    sdp.set_direction("sendonly", media_index=0)
    sdp.bump_version()
    assert bytes(sdp) == (RFC4317 / "3.2_second_offer.sdp").read_bytes()
    assert [m.direction for m in sdp.media] == ["sendonly", "recvonly"]


def test_rfc4317_3_1_unhold() -> None:
    sdp = rfc4317("3.1_answer")
    sdp.replace_media_listen([(B, 49170)])
    assert sdp.media[0].remove_attribute("sendonly") == 1
    sdp.bump_version()
    assert bytes(sdp) == (RFC4317 / "3.1_second_offer.sdp").read_bytes()
    assert sdp.media[0].direction == "sendrecv"


def test_rfc4317_2_5_new_address() -> None:
    sdp = rfc4317("2.5_answer")
    new = "newhost.biloxi.example.com"
    sdp.replace_media_listen([(new, 49178), (new, 49188)])
    sdp.bump_version()
    assert bytes(sdp) == (RFC4317 / "2.5_second_offer.sdp").read_bytes()


def test_rfc4317_5_2_out_of_the_black_hole() -> None:
    sdp = rfc4317("5.2_offer")
    assert sdp.get_media_addr() == [("0.0.0.0", 23442)]
    sdp.replace_media_listen([(A, 49170)])
    sdp.bump_version()
    assert bytes(sdp) == (RFC4317 / "5.2_second_offer.sdp").read_bytes()


def test_rfc4317_4_3_video_deleted() -> None:
    sdp = rfc4317("4.3_answer")
    sdp.replace_media_listen([(B, 49174), (B, 0)])
    sdp.bump_version()
    assert bytes(sdp) == (RFC4317 / "4.3_second_offer.sdp").read_bytes()


def test_rfc4317_4_1_stream_added() -> None:
    sdp = rfc4317("4.1_answer")
    sdp.media.append(
        Media(
            "audio",
            48282,
            "RTP/AVP",
            [98],
            connection="mediaserver.biloxi.example.com",
            attributes=[("rtpmap", "98 telephone-event/8000"), ("recvonly", None)],
        )
    )
    sdp.bump_version()
    assert bytes(sdp) == (RFC4317 / "4.1_second_offer.sdp").read_bytes()
    assert sdp.media[1].addr == "mediaserver.biloxi.example.com"
    assert sdp.media[0].addr == B


def test_rfc4317_built_from_scratch() -> None:
    sdp = SDP(
        origin=Origin("alice", "2890844526", 2890844526, "IN", "IP4", A),
        session_name=" ",
        connection=A,
        media=[
            Media("audio", 49170, "RTP/AVP", [0, 8, 97]),
            Media("video", 51372, "RTP/AVP", ["31", "32"]),
        ],
    )
    audio, video = sdp.media
    for pt in ("0 PCMU/8000", "8 PCMA/8000", "97 iLBC/8000"):
        audio.add_attribute("rtpmap", pt)
    video.attributes = ["rtpmap:31 H261/90000", "rtpmap:32 MPV/90000"]
    assert bytes(sdp) == (RFC4317 / "2.1_offer.sdp").read_bytes()
    assert sdp == rfc4317("2.1_offer")


# ---- RFC 4475 and the bench corpus -------------------------------------------------------

SDP_4475 = sdp_messages()


def test_rfc4475_sdp_messages_found() -> None:
    manifest = json.loads((RFC4475 / "MANIFEST.json").read_text())
    declared = {e["file"] for e in manifest if e["expect"].get("content_type") == "application/sdp"}
    assert declared <= set(SDP_4475)
    assert {"wsinv.dat", "esc01.dat", "sdp01.dat", "bcast.dat", "unreason.dat"} <= set(SDP_4475)
    assert {"insuf.dat", "multi01.dat", "inv2543.dat"} <= set(SDP_4475)


@pytest.mark.parametrize("name", SDP_4475)
def test_rfc4475_sdp_bodies(name: str) -> None:
    ctype, body = split_message((RFC4475 / name).read_bytes())
    sdp = find_sdp(ctype, body)
    assert sdp is not None
    assert bytes(sdp) == body
    assert sdp == SDP.parse(body)
    conn = re.search(rb"\nc=IN IP4 (\S+)\r\n", body)
    assert conn is not None
    assert sdp.addr == conn.group(1).decode()
    assert sdp.media[0].media == "audio"
    assert sdp.media[0].port == 49217
    assert sdp.media[0].rtpmap["0"] == ("PCMU", 8000, None)  # static payload type
    if name == "inv2543.dat":
        assert len(sdp.media) == 1
        return
    audio, video = sdp.media
    assert audio.formats == ["0", "12"]
    assert audio.rtpmap == {"0": ("PCMU", 8000, None), "12": ("QCELP", 8000, None)}
    assert (video.media, video.port, video.formats) == ("video", 3227, ["31"])
    # "a=rtpmap:31 LPC" has no clock rate: kept as a line, not understood as a mapping
    assert video.get_attribute("rtpmap") == "31 LPC"
    assert video.rtpmap == {"31": STATIC_PAYLOAD_TYPES["31"]}
    assert [m.addr for m in sdp.media] == [sdp.addr, sdp.addr]


def test_rfc4475_multi01_trailing_empty_line_round_trips() -> None:
    _, body = split_message((RFC4475 / "multi01.dat").read_bytes())
    assert body.endswith(b"\r\n\r\n")
    sdp = SDP.parse(body)
    assert bytes(sdp) == body
    sdp.bump_version()
    assert bytes(sdp) == body[:-2].replace(b" 7272939 ", b" 7272940 ")


def test_rfc4475_unknown_body_type_is_not_sdp() -> None:
    ctype, body = split_message((RFC4475 / "invut.dat").read_bytes())
    assert ctype == "application/unknownformat"
    assert find_sdp(ctype, body) is None


def test_rfc4475_mpart01_has_no_sdp() -> None:
    raw = (RFC4475 / "mpart01.dat").read_bytes()
    ctype, body = split_message(raw)
    assert ctype is not None and ctype.startswith("multipart/mixed")
    assert find_sdp(ctype, body) is None
    parts = split_multipart(ctype, body)
    assert [h["content-type"] for h, _ in parts] == ["text/plain", "application/octet-stream"]
    assert parts[0][1] == b"Hello"
    binary = parts[1][1]
    assert b"\x00" in binary and binary in body
    # the part ends right before the CRLF of the closing delimiter
    assert body.endswith(binary + b"\r\n--7a9cbec02ceef655--\r\n")
    assert all(h["content-transfer-encoding"] == "binary" for h, _ in parts)


CORPUS_SDP = ["invite_sdp.sip", "ok_200_invite.sip", "big_proxy_invite.sip"]


@pytest.mark.parametrize("name", CORPUS_SDP)
def test_corpus_sdp_bodies(name: str) -> None:
    ctype, body = split_message((CORPUS / name).read_bytes())
    sdp = find_sdp(ctype, body)
    assert sdp is not None
    assert bytes(sdp) == body
    (audio,) = sdp.media
    assert audio.direction == "sendrecv"
    assert audio.get_attribute("ptime") == "20"
    assert audio.rtpmap["0"] == ("PCMU", 8000, None)
    assert audio.rtpmap["101"] == ("telephone-event", 8000, None)
    assert set(audio.rtpmap) == set(audio.formats)


def test_corpus_big_proxy_invite_details() -> None:
    ctype, body = split_message((CORPUS / "big_proxy_invite.sip").read_bytes())
    sdp = find_sdp(ctype, body)
    assert sdp is not None
    assert sdp.session_name == "SBC Session"
    assert sdp.bandwidths == {"AS": 84}
    (audio,) = sdp.media
    assert audio.formats == ["9", "0", "8", "18", "101"]
    assert list(audio.rtpmap) == audio.formats  # in m= line order
    assert audio.rtpmap["18"] == ("G729", 8000, None)
    assert audio.rtpmap["9"] == ("G722", 8000, None)
    assert audio.fmtp == {"18": "annexb=no", "101": "0-15"}
    assert audio.connection == Connection("IN", "IP4", "203.0.113.40")
    assert audio.bandwidths == {"AS": 84}
    assert audio.get_attribute("rtcp") == "21347"
    assert audio.range == 2
    assert sdp.origin == Origin("-", "3911539268", 3911539268, "IN", "IP4", "203.0.113.40")


def test_av_offer_bench_file() -> None:
    body = (CORPUS / "av_offer.sdp").read_bytes()
    sdp = SDP.parse(body)
    assert bytes(sdp) == body
    audio, video = sdp.media
    assert audio.rtpmap["111"] == ("opus", 48000, 2)
    assert video.rtpmap == {
        "96": ("H264", 90000, None),
        "97": ("VP8", 90000, None),
        "98": ("rtx", 90000, None),
    }
    assert video.fmtp["98"] == "apt=97"
    assert video.get_attributes("rtcp-fb") == ["96 nack pli", "97 nack pli", "* ccm fir"]
    assert sdp.get_attribute("msid-semantic") == " WMS"


# ---- parsing details -----------------------------------------------------------------------

OFFER = (RFC4317 / "2.4_offer.sdp").read_bytes()


def test_bare_lf_and_missing_final_line_end_round_trip() -> None:
    lf = OFFER.replace(b"\r\n", b"\n")
    for body in (lf, lf[:-1], OFFER[:-2], OFFER.replace(b"\r\n", b"\n", 3)):
        sdp = SDP.parse(body)
        assert bytes(sdp) == body
        assert str(sdp) == body.decode()
        assert sdp == SDP.parse(OFFER)  # same content, other line ends
        assert sdp.media[1].direction == "sendonly"
        sdp.set_direction("inactive")
        out = bytes(sdp)
        assert out.count(b"\n") == out.count(b"\r\n")  # edited: CRLF lines
        assert out.endswith(b"a=inactive\r\n")
        assert SDP.parse(out) == sdp


def test_str_input_and_invalid_utf8() -> None:
    body = OFFER.replace(b"s= ", b"s=caf\xe9 \xc3\xa9t\xc3\xa9")
    sdp = SDP.parse(body)
    assert bytes(sdp) == body
    assert sdp.session_name == "caf\udce9 été"
    sdp.bump_version()
    assert b"s=caf\xe9 \xc3\xa9t\xc3\xa9\r\n" in bytes(sdp)
    text = SDP.parse(OFFER.decode())
    assert bytes(text) == OFFER
    assert text == SDP.parse(bytearray(OFFER)) == SDP.parse(memoryview(OFFER))


def test_unknown_lines_and_order_are_kept() -> None:
    body = (
        b"v=0\r\ns=-\r\nx=first unknown\r\no=- 1 2 IN IP4 192.0.2.1\r\nt=0 0\r\n"
        b"c=IN IP4 192.0.2.1\r\na=tool:x\r\nz=2882844526 -1h\r\n"
        b"m=audio 4000 RTP/AVP 0\r\ny=media unknown\r\na=foo\r\ni=late info\r\n"
    )
    sdp = SDP.parse(body)
    assert bytes(sdp) == body
    assert sdp.lines[2] == "x=first unknown"
    assert sdp.media[0].lines == ["m=audio 4000 RTP/AVP 0", "y=media unknown", "a=foo", "i=late info"]
    assert sdp.media[0].info == "late info"
    assert sdp.media[0].attributes == [("foo", None)]
    sdp.media[0].set_attribute("foo", "bar")
    sdp.media[0].add_attribute("ptime", "20")
    assert sdp.media[0].lines == [
        "m=audio 4000 RTP/AVP 0",
        "y=media unknown",
        "a=foo:bar",
        "a=ptime:20",
        "i=late info",
    ]
    assert SDP.parse(bytes(sdp)) == sdp


def test_session_level_fields() -> None:
    body = (
        "v=0\r\no=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\ns=Call to John Smith\r\n"
        "i=SDP Offer #1\r\nu=http://www.jdoe.example.com/home.html\r\n"
        "e=Jane Doe <jane@jdoe.example.com>\r\np=+1 617 555-6011\r\n"
        "c=IN IP4 198.51.100.1\r\nb=CT:128\r\nt=0 0\r\nr=7d 1h 0 25h\r\nk=clear:x\r\n"
        "a=recvonly\r\nm=audio 49170 RTP/AVP 0\r\nm=audio 49180 RTP/AVP 0\r\n"
        "m=video 51372 RTP/AVP 99\r\nc=IN IP6 2001:db8::2\r\na=rtpmap:99 h263-1998/90000\r\n"
        "a=sendrecv\r\n"
    )
    sdp = SDP.parse(body)
    assert str(sdp) == body
    assert sdp.origin == Origin("jdoe", "3724394400", 3724394405, "IN", "IP4", "198.51.100.1")
    assert sdp.info == "SDP Offer #1"
    assert sdp.uri == "http://www.jdoe.example.com/home.html"
    assert sdp.emails == ["Jane Doe <jane@jdoe.example.com>"]
    assert sdp.phones == ["+1 617 555-6011"]
    assert sdp.bandwidths == {"CT": 128}
    assert sdp.direction == "recvonly"
    # a media without its own direction takes the session's (RFC 8866 section 6.7)
    assert [m.direction for m in sdp.media] == ["recvonly", "recvonly", "sendrecv"]
    assert [m.addr for m in sdp.media] == ["198.51.100.1", "198.51.100.1", "2001:db8::2"]
    assert sdp.media[2].connection == Connection("IN", "IP6", "2001:db8::2")
    assert sdp.media[2].rtpmap == {"99": ("h263-1998", 90000, None)}
    assert sdp.content_type == SDP.content_type == "application/sdp"


def test_multicast_connections_and_port_counts() -> None:
    body = (
        b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 233.252.0.1/127/3\r\nt=0 0\r\n"
        b"m=audio 49170/2 RTP/AVP 10 11 96\r\na=rtpmap:96 L16/16000/2\r\n"
        b"m=video 51372 RTP/AVP 31\r\nc=IN IP6 ff15::101/3\r\n"
    )
    sdp = SDP.parse(body)
    assert sdp.connection == Connection("IN", "IP4", "233.252.0.1", 127, 3)
    assert str(sdp.connection) == "IN IP4 233.252.0.1/127/3"
    audio, video = sdp.media
    assert (audio.port, audio.port_count, audio.range) == (49170, 2, 4)
    assert audio.rtpmap == {
        "10": ("L16", 44100, 2),
        "11": ("L16", 44100, None),
        "96": ("L16", 16000, 2),
    }
    assert video.connection == Connection("IN", "IP6", "ff15::101", None, 3)
    assert audio.addr == "233.252.0.1"
    assert video.addr == "ff15::101"
    assert bytes(sdp) == body


def test_non_rtp_media_has_no_static_payload_types() -> None:
    body = b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=image 5000 udptl t38\r\n"
    (image,) = SDP.parse(body).media
    assert image.formats == ["t38"]
    assert image.rtpmap == {}
    assert image.range == 1
    body = b"v=0\r\ns=-\r\nm=audio 5000 udp 0\r\nc=IN IP4 h\r\n"
    assert SDP.parse(body).media[0].rtpmap == {}


def test_lenient_spacing_and_empty_lines() -> None:
    body = (
        b"v=0\r\no=alice  1 2  IN IP4\t192.0.2.1\r\ns=-\r\n\r\nc=IN  IP4 192.0.2.1\r\n"
        b"t=0  0\r\nm=audio  4000  RTP/AVP  0  8\r\n\r\n"
    )
    sdp = SDP.parse(body)
    assert bytes(sdp) == body
    assert sdp.origin == Origin("alice", "1", 2, "IN", "IP4", "192.0.2.1")
    assert sdp.timing == (0, 0)
    assert sdp.media[0].formats == ["0", "8"]
    assert sdp == SDP.parse(body.replace(b"\r\n\r\n", b"\r\n"))
    sdp.media[0].formats.append("18")
    assert bytes(sdp).endswith(b"t=0  0\r\nm=audio 4000 RTP/AVP 0 8 18\r\n")
    assert sdp.lines[1] == "o=alice  1 2  IN IP4\t192.0.2.1"


BROKEN = [
    pytest.param(b"", 1, id="empty"),
    pytest.param(b"o=- 1 1 IN IP4 h\r\nv=0\r\n", 1, id="v-not-first"),
    pytest.param(b"v=1\r\ns=-\r\n", 1, id="v=1"),
    pytest.param(b"\r\nv=0\r\n", 1, id="leading-empty-line"),
    pytest.param(b" v=0\r\n", 1, id="leading-space"),
    pytest.param(b"v=0\r\no=- 1 1 IN IP4 h\r\nhello\r\n", 3, id="no-equals"),
    pytest.param(b"v=0\r\nS=-\r\n", 2, id="uppercase-type"),
    pytest.param(b"v=0\r\nss=-\r\n", 2, id="two-letter-type"),
    pytest.param(b"v=0\r\n=x\r\n", 2, id="no-type"),
    pytest.param(b"v=0\r\n1=x\r\n", 2, id="digit-type"),
    pytest.param(b"v=0\r\n\xc3\xa9=x\r\n", 2, id="non-ascii-type"),
    pytest.param(b"v=0\r\ns=-\r\n \r\n", 3, id="blank-with-space"),
    pytest.param(b"v=0\r\no=- 1 IN IP4 h\r\n", 2, id="o-five-fields"),
    pytest.param(b"v=0\r\no=- 1 1 IN IP4 h extra\r\n", 2, id="o-seven-fields"),
    pytest.param(b"v=0\r\no=- 1 x IN IP4 h\r\n", 2, id="o-version-not-number"),
    pytest.param(b"v=0\r\no=\r\n", 2, id="o-empty"),
    pytest.param(b"v=0\r\ns=-\r\nc=IN IP4\r\n", 3, id="c-two-fields"),
    pytest.param(b"v=0\r\ns=-\r\nc=IN IP4 a b\r\n", 3, id="c-four-fields"),
    pytest.param(b"v=0\r\ns=-\r\nc=IN IP4 233.252.0.1/x\r\n", 3, id="c-bad-ttl"),
    pytest.param(b"v=0\r\ns=-\r\nc=IN IP4 233.252.0.1/1/2/3\r\n", 3, id="c-too-many-parts"),
    pytest.param(b"v=0\r\ns=-\r\nc=IN IP6 ff15::1/1/2\r\n", 3, id="c-ip6-ttl"),
    pytest.param(b"v=0\r\ns=-\r\nc=IN IP4 /127\r\n", 3, id="c-no-address"),
    pytest.param(b"v=0\r\ns=-\r\nt=0\r\n", 3, id="t-one-field"),
    pytest.param(b"v=0\r\ns=-\r\nt=now later\r\n", 3, id="t-not-numbers"),
    pytest.param(b"v=0\r\ns=-\r\nm=audio RTP/AVP 0\r\n", 3, id="m-no-port"),
    pytest.param(b"v=0\r\ns=-\r\nm=audio 4000 RTP/AVP\r\n", 3, id="m-no-format"),
    pytest.param(b"v=0\r\ns=-\r\nm=audio\r\n", 3, id="m-media-only"),
    pytest.param(b"v=0\r\ns=-\r\nm=audio 4000a RTP/AVP 0\r\n", 3, id="m-port-letters"),
    pytest.param(b"v=0\r\ns=-\r\nm=audio -1 RTP/AVP 0\r\n", 3, id="m-port-negative"),
    pytest.param(b"v=0\r\ns=-\r\nm=audio 65536 RTP/AVP 0\r\n", 3, id="m-port-too-big"),
    pytest.param(b"v=0\r\ns=-\r\nm=audio 4000/ RTP/AVP 0\r\n", 3, id="m-empty-count"),
    pytest.param(b"v=0\r\ns=-\r\nm=audio 4000/x RTP/AVP 0\r\n", 3, id="m-bad-count"),
    pytest.param(b"v=0\r\ns=-\r\nm=audio 4_000 RTP/AVP 0\r\n", 3, id="m-port-underscore"),
    pytest.param("v=0\r\ns=-\r\nm=audio \u0664\u0660\u0660\u0660 RTP/AVP 0\r\n".encode(), 3, id="m-arabic-digits"),
    pytest.param(b"v=0\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=x\r\nc=IN IP4\r\n", 6, id="media-c"),
    pytest.param(b"v=0\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nA=x\r\n", 5, id="media-upper"),
    pytest.param(b"v=0\r\n\r\n\r\nbad\r\n", 4, id="after-empty-lines"),
    pytest.param(b"v=0\ns=-\nm=audio x RTP/AVP 0\n", 3, id="lf-line-ends"),
    pytest.param(b"v=0\r\ns=-\nm=audio 1 RTP/AVP 0\r\nbad", 4, id="mixed-no-final-end"),
]


@pytest.mark.parametrize(("body", "line"), BROKEN)
def test_broken_bodies(body: bytes, line: int) -> None:
    with pytest.raises(SDPParseError) as info:
        SDP.parse(body)
    assert info.value.line == line
    assert isinstance(info.value, ValueError)
    assert f"line {line}:" in str(info.value)


# ---- building ------------------------------------------------------------------------------


def test_build_then_parse() -> None:
    sdp = SDP(
        origin=Origin("bob", "42", 7, "IN", "IP6", "2001:db8::1"),
        session_name="A call",
        connection=Connection.for_address("2001:db8::1"),
        media=[
            Media(
                "audio",
                30000,
                "RTP/AVP",
                [0, 101],
                bandwidths={"AS": 80},
                attributes=[("rtpmap", "101 telephone-event/8000"), ("fmtp", "101 0-15"), "ptime:20"],
            ),
            Media("video", 30002, "RTP/AVPF", [96], port_count=2, connection="192.0.2.9"),
        ],
        attributes=[("group", "BUNDLE 0 1"), ("ice-lite", None)],
        timing=(3724394400, 0),
        info="info",
        uri="https://example.com/",
        emails=["bob@example.com"],
        phones=["+1 555 0100"],
        bandwidths={"CT": 1000},
    )
    body = bytes(sdp)
    assert body == (
        b"v=0\r\no=bob 42 7 IN IP6 2001:db8::1\r\ns=A call\r\ni=info\r\nu=https://example.com/\r\n"
        b"e=bob@example.com\r\np=+1 555 0100\r\nc=IN IP6 2001:db8::1\r\nb=CT:1000\r\n"
        b"t=3724394400 0\r\na=group:BUNDLE 0 1\r\na=ice-lite\r\n"
        b"m=audio 30000 RTP/AVP 0 101\r\nb=AS:80\r\na=rtpmap:101 telephone-event/8000\r\n"
        b"a=fmtp:101 0-15\r\na=ptime:20\r\n"
        b"m=video 30002/2 RTP/AVPF 96\r\nc=IN IP4 192.0.2.9\r\n"
    )
    again = SDP.parse(body)
    assert again == sdp
    assert str(again) == str(sdp) == body.decode()
    assert again.attributes == [("group", "BUNDLE 0 1"), ("ice-lite", None)]
    assert again.get_attribute("ice-lite") is None and again.has_attribute("ice-lite")
    assert again.timing == (3724394400, 0)
    assert again.media[0].rtpmap == {
        "0": ("PCMU", 8000, None),
        "101": ("telephone-event", 8000, None),
    }
    assert again.get_media_addr() == [("2001:db8::1", 30000), ("192.0.2.9", 30002)]
    assert again.media[1].range == 4


def test_build_defaults() -> None:
    sdp = SDP(connection="192.0.2.7", media=[Media("audio", 5000, formats=["0"])])
    origin = sdp.origin
    assert origin is not None
    assert (origin.username, origin.addrtype, origin.address) == ("-", "IP4", "192.0.2.7")
    assert origin.sess_id == str(origin.sess_version)
    assert sdp.session_name == "-"
    assert sdp.timing == (0, 0)
    assert sdp.media[0].proto == "RTP/AVP"
    assert sdp.media[0].addr == "192.0.2.7"
    assert SDP.parse(bytes(sdp)) == sdp


def test_build_refuses_line_breaks_in_values() -> None:
    with pytest.raises(ValueError):
        SDP(session_name="x\r\nm=audio 1 RTP/AVP 0")
    sdp = SDP(connection="192.0.2.7")
    with pytest.raises(ValueError):
        sdp.add_attribute("x", "a\nb")
    with pytest.raises(ValueError):
        Media("audio", 1, formats=["0"], attributes=[("a", "b\rc")])


def test_from_parts_net_sip_example() -> None:
    sdp = SDP.from_parts(
        {"addr": "192.168.0.1"},
        {"port": 2012, "proto": "RTP/AVP", "media": "audio", "fmt": 0},
        {"port": 2014, "proto": "RTP/AVP", "media": "video", "fmt": 0},
    )
    lines = sdp.lines
    assert lines[0] == "v=0"
    assert re.fullmatch(r"o=- (\d+) \1 IN IP4 192\.168\.0\.1", lines[1])
    assert lines[2:] == [
        "s=-",
        "c=IN IP4 192.168.0.1",
        "t=0 0",
        "m=audio 2012 RTP/AVP 0",
        "m=video 2014 RTP/AVP 0",
    ]
    assert sdp.get_media_addr() == [("192.168.0.1", 2012), ("192.168.0.1", 2014)]
    assert [m.range for m in sdp.media] == [2, 2]
    assert SDP.parse(bytes(sdp)) == sdp


def test_from_parts_with_more_keys() -> None:
    sdp = SDP.from_parts(
        {"addr": "2001:db8::5", "o": "x 1 1 IN IP6 2001:db8::5", "s": "talk", "a": ["sendrecv"]},
        {
            "port": 4000,
            "range": 4,
            "proto": "RTP/AVP",
            "media": "audio",
            "fmt": [8, "101"],
            "a": ["rtpmap:101 telephone-event/8000", ("ptime", "20")],
        },
        {"port": 5000, "proto": "udp", "media": "application", "fmt": "x", "addr": "192.0.2.3"},
        {"m": "video 6000 RTP/AVP 31", "addr": "2001:db8::5", "b": "AS:100"},
    )
    assert sdp.lines == [
        "v=0",
        "o=x 1 1 IN IP6 2001:db8::5",
        "s=talk",
        "c=IN IP6 2001:db8::5",
        "t=0 0",
        "a=sendrecv",
        "m=audio 4000/2 RTP/AVP 8 101",
        "a=rtpmap:101 telephone-event/8000",
        "a=ptime:20",
        "m=application 5000 udp x",
        "c=IN IP4 192.0.2.3",
        "m=video 6000 RTP/AVP 31",
        "b=AS:100",
    ]
    assert [m.range for m in sdp.media] == [4, 1, 2]
    assert sdp.get_media_addr() == [("2001:db8::5", 4000), ("192.0.2.3", 5000), ("2001:db8::5", 6000)]
    assert SDP.parse(bytes(sdp)) == sdp


def test_from_parts_errors() -> None:
    with pytest.raises(ValueError, match="session keys"):
        SDP.from_parts({"addr": "192.0.2.1", "q": "x"})
    with pytest.raises(ValueError, match="media keys"):
        SDP.from_parts({"addr": "192.0.2.1"}, {"port": 1, "proto": "udp", "media": "a", "fmt": 1, "x": 2})
    with pytest.raises(ValueError, match="without"):
        SDP.from_parts({"addr": "192.0.2.1"}, {"port": 1, "proto": "udp", "media": "a"})
    with pytest.raises(ValueError, match="address"):
        SDP.from_parts({}, {"port": 1, "proto": "udp", "media": "audio", "fmt": 0})


# ---- editing -------------------------------------------------------------------------------


def test_replace_media_listen_one_new_address() -> None:
    sdp = rfc4317("2.1_offer")
    sdp.replace_media_listen([("198.51.100.7", 10000), ("198.51.100.7", 10002)])
    assert sdp.get_media_addr() == [("198.51.100.7", 10000), ("198.51.100.7", 10002)]
    assert sdp.connection == Connection("IN", "IP4", "198.51.100.7")
    assert all(m.connection is None for m in sdp.media)  # the session c= serves both
    assert SDP.parse(bytes(sdp)) == sdp


def test_replace_media_listen_ipv6() -> None:
    sdp = rfc4317("2.1_offer")
    sdp.replace_media_listen([("2001:db8::7", 10000), ("2001:db8::7", 10002)])
    assert "c=IN IP6 2001:db8::7" in sdp.lines
    assert sdp.get_media_addr() == [("2001:db8::7", 10000), ("2001:db8::7", 10002)]
    # back to IPv4 for one stream: that media gets its own c=, with IP4
    sdp.replace_media_listen([("2001:db8::7", 10000), ("192.0.2.8", 10002)])
    assert sdp.connection == Connection("IN", "IP6", "2001:db8::7")
    assert sdp.media[1].connection == Connection("IN", "IP4", "192.0.2.8")
    assert sdp.media[0].connection is None
    assert SDP.parse(bytes(sdp)).get_media_addr() == [("2001:db8::7", 10000), ("192.0.2.8", 10002)]


def test_replace_media_listen_media_with_own_connection() -> None:
    sdp = rfc4317("2.8_answer")
    sdp.replace_media_listen([("192.0.2.1", 4000), ("2001:db8::9", 4002)])
    assert sdp.connection == Connection("IN", "IP4", "192.0.2.1")
    assert sdp.media[1].connection == Connection("IN", "IP6", "2001:db8::9")
    assert sdp.media[1].lines == ["m=video 4002 RTP/AVP 32", "c=IN IP6 2001:db8::9", "a=rtpmap:32 MPV/90000"]
    # nothing changes when the new places are the old ones
    before = bytes(sdp)
    sdp.replace_media_listen([(str(a), p) for a, p in sdp.get_media_addr()])
    assert bytes(sdp) == before


def test_replace_media_listen_no_session_connection() -> None:
    body = (
        b"v=0\r\ns=-\r\nt=0 0\r\nm=audio 1000/2 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"
        b"m=video 2000 RTP/AVP 31\r\nc=IN IP4 192.0.2.1\r\n"
    )
    sdp = SDP.parse(body)
    sdp.replace_media_listen([("192.0.2.2", 0), ("192.0.2.3", 3000)])
    assert sdp.connection is None
    assert sdp.lines[3:] == [
        "m=audio 0 RTP/AVP 0",  # a rejected stream loses its port count
        "c=IN IP4 192.0.2.2",
        "m=video 3000 RTP/AVP 31",
        "c=IN IP4 192.0.2.3",
    ]
    with pytest.raises(ValueError, match="pairs"):
        sdp.replace_media_listen([("192.0.2.2", 1)])


def test_set_direction() -> None:
    sdp = rfc4317("2.4_offer")
    sdp.set_direction("sendonly")
    assert [m.direction for m in sdp.media] == ["sendonly", "sendonly"]
    assert sdp.media[1].get_attributes("sendonly") == [None]
    assert not sdp.media[1].has_attribute("recvonly")
    sdp.set_direction("inactive", media_index=1)
    assert [m.direction for m in sdp.media] == ["sendonly", "inactive"]
    sdp.media[0].set_direction("sendrecv")
    assert [m.direction for m in sdp.media] == ["sendrecv", "inactive"]
    assert sdp.direction == "sendrecv"
    with pytest.raises(ValueError):
        sdp.set_direction("hold")
    with pytest.raises(ValueError):
        sdp.media[0].set_direction("both")
    assert SDP.parse(bytes(sdp)) == sdp


def test_set_direction_session_level() -> None:
    body = b"v=0\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\na=recvonly\r\nm=audio 1 RTP/AVP 0\r\n"
    sdp = SDP.parse(body)
    assert sdp.media[0].direction == "recvonly"
    sdp.set_direction("sendonly")
    assert sdp.direction == "sendonly"
    assert sdp.lines == [
        "v=0",
        "s=-",
        "c=IN IP4 h",
        "t=0 0",
        "a=sendonly",
        "m=audio 1 RTP/AVP 0",
        "a=sendonly",
    ]
    empty = rfc4317("5.1_offer")
    empty.set_direction("inactive")
    assert empty.lines[-1] == "a=inactive"


def test_bump_version() -> None:
    sdp = rfc4317("2.1_answer")
    assert sdp.bump_version() == 2808844565
    assert sdp.bump_version() == 2808844566
    assert sdp.lines[1] == "o=bob 2808844564 2808844566 IN IP4 host.biloxi.example.com"
    with pytest.raises(ValueError):
        SDP.parse(b"v=0\r\ns=-\r\n").bump_version()


def test_session_edits() -> None:
    sdp = rfc4317("2.1_offer")
    sdp.session_name = "renamed"
    sdp.info = "about"
    sdp.timing = (1, 2)
    sdp.bandwidths = {"AS": 128}
    sdp.connection = "2001:db8::3"
    sdp.origin = Origin("carol", "9", 1, "IN", "IP6", "2001:db8::3")
    sdp.add_attribute("tool", "sipfast")
    assert sdp.lines[:8] == [
        "v=0",
        "o=carol 9 1 IN IP6 2001:db8::3",
        "s=renamed",
        "i=about",
        "c=IN IP6 2001:db8::3",
        "b=AS:128",
        "t=1 2",
        "a=tool:sipfast",
    ]
    sdp.connection = None
    sdp.info = None
    assert sdp.connection is None and sdp.info is None
    assert all(m.addr is None for m in sdp.media)
    assert sdp.media[0].remove_attribute("rtpmap") == 3
    assert sdp.media[0].rtpmap == {"0": ("PCMU", 8000, None), "8": ("PCMA", 8000, None)}
    del sdp.media[1]
    assert SDP.parse(bytes(sdp)) == sdp
    assert len(SDP.parse(bytes(sdp)).media) == 1


def test_equality() -> None:
    a, b = rfc4317("2.1_offer"), rfc4317("2.2_offer")
    assert a == b
    assert a != rfc4317("2.1_answer")
    assert a.media[0] == b.media[0]
    assert a.media[0] != a.media[1]
    assert a != "v=0"
    b.media[0].port = 1
    assert a != b
    assert "audio:49170" in repr(a)
    assert "RTP/AVP" in repr(a.media[0])


# ---- finding SDP in a message body -------------------------------------------------------

SDP_BODY = (RFC4317 / "2.1_answer.sdp").read_bytes()
BINARY = bytes(range(256)) + b"\r\n--not-it\r\n\r\n\n\r\x00--b0und\r\x00\xff\xfe"


@pytest.mark.parametrize(
    "ctype",
    ["application/sdp", "Application/SDP", "application/sdp; charset=utf-8", " application/sdp ;level=1"],
)
def test_find_sdp_application_sdp(ctype: str) -> None:
    sdp = find_sdp(ctype, SDP_BODY)
    assert sdp is not None and bytes(sdp) == SDP_BODY


def test_find_sdp_without_content_type() -> None:
    for ctype in (None, ""):
        sdp = find_sdp(ctype, SDP_BODY)
        assert sdp is not None and bytes(sdp) == SDP_BODY
        assert find_sdp(ctype, b"hello") is None
        assert find_sdp(ctype, b"v=0\r\nbroken\r\n") is None  # only a guess: no error
        assert find_sdp(ctype, b"v=01\r\n") is None
    assert find_sdp("application/sdp", b"") is None
    assert find_sdp(None, b"") is None
    assert find_sdp("text/plain", SDP_BODY) is None
    with pytest.raises(SDPParseError):
        find_sdp("application/sdp", b"v=0\r\nbroken\r\n")


def multipart(boundary: bytes, parts: list[tuple[bytes, bytes]], preamble: bytes = b"") -> bytes:
    out = preamble
    for headers, body in parts:
        out += b"--" + boundary + b"\r\n" + headers + b"\r\n" + body + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


@pytest.mark.parametrize(
    ("subtype", "param"),
    [
        ("mixed", "boundary=b0und"),
        ("mixed", 'boundary="b0und"'),
        ("alternative", 'BOUNDARY = "b0und" ; x=y'),
        ("related", 'type="application/sdp"; boundary=b0und'),
    ],
)
def test_find_sdp_multipart_next_to_binary(subtype: str, param: str) -> None:
    body = multipart(
        b"b0und",
        [
            (b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n", BINARY),
            (b"content-type: Application/SDP\r\n", SDP_BODY),
        ],
        preamble=b"This is a preamble.\r\n",
    )
    ctype = f"multipart/{subtype}; {param}"
    sdp = find_sdp(ctype, body)
    assert sdp is not None
    assert bytes(sdp) == SDP_BODY
    parts = split_multipart(ctype, body)
    assert parts == [
        (
            {"content-type": "application/octet-stream", "content-transfer-encoding": "binary"},
            BINARY,
        ),
        ({"content-type": "Application/SDP"}, SDP_BODY),
    ]


def test_find_sdp_multipart_details() -> None:
    sdp_part = (b"Content-Type: application/sdp\r\n", SDP_BODY)
    text_part = (b"Content-Type: text/plain\r\n", b"hi")
    # no SDP part
    body = multipart(b"xyz", [text_part, (b"", b"no headers")])
    assert find_sdp("multipart/mixed;boundary=xyz", body) is None
    assert split_multipart("multipart/mixed;boundary=xyz", body)[1] == ({}, b"no headers")
    # nested multipart/alternative inside multipart/mixed; the first SDP part wins
    inner = multipart(b"in", [text_part, sdp_part])
    other = (RFC4317 / "2.1_offer.sdp").read_bytes()
    outer = multipart(
        b"out",
        [
            (b"Content-Type: multipart/alternative; boundary=in\r\n", inner),
            (b"Content-Type: application/sdp\r\n", other),
        ],
    )
    found = find_sdp("multipart/mixed; boundary=out", outer)
    assert found is not None and bytes(found) == SDP_BODY
    # base64 transfer encoding, folded header, transport padding after the boundary
    body = (
        b"--q \t\r\nContent-Type:\r\n application/sdp\r\nContent-Transfer-Encoding: BASE64\r\n\r\n"
        + base64.encodebytes(SDP_BODY)
        + b"\r\n--q--"
    )
    found = find_sdp('multipart/mixed; boundary="q"', body)
    assert found is not None and bytes(found) == SDP_BODY
    # a line that only starts with the boundary string is content, not a delimiter
    body = multipart(b"q", [(b"Content-Type: text/plain\r\n", b"x\r\n--qq\r\n--q-x")])
    assert split_multipart("multipart/mixed; boundary=q", body) == [
        ({"content-type": "text/plain"}, b"x\r\n--qq\r\n--q-x")
    ]
    # no closing delimiter: the last part runs to the end; bare LF line ends are read too
    body = b"--q\nContent-Type: application/sdp\n\n" + SDP_BODY.replace(b"\r\n", b"\n")
    found = find_sdp("multipart/mixed; boundary=q", body)
    assert found is not None and found == SDP.parse(SDP_BODY)
    # a multipart without a boundary parameter
    assert find_sdp("multipart/mixed", body) is None
    with pytest.raises(ValueError):
        split_multipart("multipart/mixed", body)
    # empty parts and an epilogue
    body = b"--q\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\n\r\n--q--\r\nepilogue"
    assert split_multipart("multipart/mixed; boundary=q", body) == [
        ({}, b""),
        ({"content-type": "text/plain"}, b""),
    ]


# ---- generated SDPs ------------------------------------------------------------------------

TOKEN = string.ascii_letters + string.digits + "-.!%*_+`'~"
tokens = st.text(alphabet=TOKEN, min_size=1, max_size=12)
# values of free-text lines: any byte but NUL, CR and LF (RFC 8866 byte-string), invalid
# UTF-8 included
texts = st.binary(min_size=0, max_size=20).map(
    lambda b: b.replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b"")
)
# a username is a non-ws-string: visible ASCII and UTF-8 (U+00A0 and U+0085 included)
usernames = st.text(
    alphabet=st.sampled_from([*string.ascii_letters, *string.punctuation, "\u00a0", "\u0085", "é"]),
    min_size=1,
    max_size=10,
)
numbers = st.integers(min_value=0, max_value=2**64)
ports = st.integers(min_value=0, max_value=65535)
ip4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ip6 = st.lists(st.integers(0, 0xFFFF).map(lambda n: f"{n:x}"), min_size=8, max_size=8).map(":".join)
hosts = st.one_of(ip4, ip6, st.just("host.example.com"))


@st.composite
def connection_values(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["IP4", "IP6", "plain", "mcast4", "mcast6", "other"]))
    if kind == "plain":
        return f"IN IP4 {draw(hosts)}"
    if kind == "mcast4":
        count = draw(st.sampled_from(["", "/1", "/3"]))
        return f"IN IP4 233.252.0.{draw(st.integers(0, 255))}/{draw(st.integers(0, 255))}{count}"
    if kind == "mcast6":
        return f"IN IP6 ff15::{draw(st.integers(1, 999))}/{draw(st.integers(1, 9))}"
    if kind == "other":
        return f"{draw(tokens)} {draw(tokens)} {draw(tokens)}"
    return f"IN {kind} {draw(ip4 if kind == 'IP4' else ip6)}"


@st.composite
def attribute_lines(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(["rtpmap", "fmtp", "sendonly", "recvonly", "ptime", "x-unknown"]))
    name = draw(st.one_of(st.just(name), tokens))
    if draw(st.booleans()):
        return b"a=" + name.encode()
    return b"a=" + name.encode() + b":" + draw(texts)


@st.composite
def other_lines(draw: st.DrawFn, letters: str) -> bytes:
    letter = draw(st.sampled_from(letters))
    return letter.encode() + b"=" + draw(texts)


@st.composite
def media_sections(draw: st.DrawFn) -> list[bytes]:
    port = str(draw(ports))
    if draw(st.booleans()):
        port += f"/{draw(st.integers(1, 8))}"
    proto = draw(st.sampled_from(["RTP/AVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF", "udp", "TCP/MSRP"]))
    fmts = draw(st.lists(st.one_of(st.integers(0, 127).map(str), tokens), min_size=1, max_size=5))
    media = draw(st.sampled_from(["audio", "video", "text", "application", "message", "image"]))
    lines = [f"m={media} {port} {proto} {' '.join(fmts)}".encode()]
    body = draw(
        st.lists(
            st.one_of(
                attribute_lines(),
                connection_values().map(lambda c: b"c=" + c.encode()),
                other_lines("ibkxyw"),
            ),
            max_size=6,
        )
    )
    return lines + body


@st.composite
def sdp_bodies(draw: st.DrawFn) -> list[bytes]:
    origin = f"{draw(usernames)} {draw(numbers)} {draw(numbers)} IN IP4 {draw(hosts)}"
    lines = [b"v=0", b"o=" + origin.encode(), b"s=" + draw(st.one_of(st.just(b" "), texts))]
    optional = draw(
        st.lists(
            st.one_of(
                other_lines("iuepbrzkxyw"),
                attribute_lines(),
                connection_values().map(lambda c: b"c=" + c.encode()),
                st.tuples(numbers, numbers).map(lambda t: f"t={t[0]} {t[1]}".encode()),
            ),
            max_size=8,
        )
    )
    lines += optional
    for section in draw(st.lists(media_sections(), max_size=4)):
        lines += section
    return lines


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(lines=sdp_bodies(), ending=st.sampled_from(["crlf", "lf", "no-final", "blank-end"]))
def test_generated_bodies_round_trip(lines: list[bytes], ending: str) -> None:
    body = b"\r\n".join(lines) + b"\r\n"
    if ending == "lf":
        body = b"\n".join(lines) + b"\n"
    elif ending == "no-final":
        body = body[:-2]
    elif ending == "blank-end":
        body += b"\r\n"
    sdp = SDP.parse(body)
    assert bytes(sdp) == body
    assert SDP.parse(bytes(sdp)) == sdp
    assert len(sdp.lines) == len(lines)
    per_media: list[int] = []
    for line in lines:
        if line.startswith(b"m="):
            per_media.append(1)
        elif per_media:
            per_media[-1] += 1
    assert [len(m.lines) for m in sdp.media] == per_media
    # an edit writes CRLF lines that parse back to the same SDP
    sdp.set_direction("inactive")
    out = bytes(sdp)
    assert out.count(b"\n") == out.count(b"\r\n") and out.endswith(b"\r\n")
    assert SDP.parse(out) == sdp
    if sdp.origin is not None:
        version = sdp.origin.sess_version
        assert sdp.bump_version() == version + 1
        assert SDP.parse(bytes(sdp)).origin == sdp.origin


free_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"),
    min_size=1,
    max_size=15,
)


@st.composite
def built_media(draw: st.DrawFn) -> Media:
    count = draw(st.one_of(st.none(), st.integers(1, 8)))
    conn = draw(st.one_of(st.none(), hosts))
    attrs = draw(st.lists(st.tuples(tokens, st.one_of(st.none(), free_text)), max_size=4))
    return Media(
        draw(st.sampled_from(["audio", "video", "application"])),
        draw(ports),
        draw(st.sampled_from(["RTP/AVP", "RTP/SAVP", "udp"])),
        draw(st.lists(st.integers(0, 127), min_size=1, max_size=4)),
        port_count=count,
        connection=conn,
        bandwidths=draw(st.dictionaries(tokens, st.integers(0, 10**6), max_size=2)),
        attributes=attrs,
        info=draw(st.one_of(st.none(), free_text)),
    )


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    origin=st.builds(
        Origin,
        usernames,
        numbers.map(str),
        numbers,
        st.just("IN"),
        st.sampled_from(["IP4", "IP6"]),
        hosts,
    ),
    name=free_text,
    conn=st.one_of(st.none(), hosts),
    media=st.lists(built_media(), max_size=3),
    attrs=st.lists(st.tuples(tokens, st.one_of(st.none(), free_text)), max_size=4),
)
def test_built_sdps_round_trip(
    origin: Origin,
    name: str,
    conn: str | None,
    media: list[Media],
    attrs: list[tuple[str, str | None]],
) -> None:
    sdp = SDP(origin=origin, session_name=name, connection=conn, media=media, attributes=attrs)
    body = bytes(sdp)
    again = SDP.parse(body)
    assert again == sdp
    assert bytes(again) == body
    assert again.origin == origin
    assert again.session_name == name
    assert again.attributes == attrs
    assert [(m.media, m.port, m.port_count, m.proto, m.formats) for m in again.media] == [
        (m.media, m.port, m.port_count, m.proto, m.formats) for m in media
    ]
    assert [m.attributes for m in again.media] == [m.attributes for m in media]
    assert again.get_media_addr() == [(m.addr or conn, m.port) for m in media]
