"""Packet / Request / Response on top of each twin of the core."""

from __future__ import annotations

from pathlib import Path

import pytest

import sipfast
from sipfast import Request, Response, SIPParseError

BENCH = Path(__file__).parent.parent / "benchmarks" / "corpus"
RFC4475 = Path(__file__).parent / "data" / "rfc4475"

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds, SIP/2.0/TCP p.example.com;branch=z9hG4bKx\r\n"
    b"v: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK3\r\n"
    b"Max-Forwards: 70\r\n"
    b"t: Bob <sip:bob@biloxi.example.com>\r\n"
    b'f: "Alice, A." <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    b"i: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"m: <sip:alice@pc33.atlanta.example.com>\r\n"
    b"Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    b"Supported: \r\n"
    b"X-Custom: one\r\n"
    b"x-custom: two, three\r\n"
    b"c: application/sdp\r\n"
    b"l: 4\r\n"
    b"\r\n"
    b"v=0\n"
)


def corpus_files() -> list[Path]:
    return sorted(BENCH.glob("*.sip")) + sorted(RFC4475.glob("*.dat"))


def test_backend_reported() -> None:
    assert sipfast.BACKEND in ("c", "python")


def test_parse_request_fields(backend: str) -> None:
    msg = sipfast.parse(INVITE)
    assert isinstance(msg, Request)
    assert msg.is_request and not msg.is_response
    assert msg.method == "INVITE"
    assert msg.uri == "sip:bob@biloxi.example.com"
    assert msg.call_id == "a84b4c76e66710@pc33.atlanta.example.com"
    assert msg.cseq == "314159 INVITE"
    assert msg.cseq_number == 314159
    assert msg.cseq_method == "INVITE"
    assert msg.from_tag == "1928301774"
    assert msg.to_tag is None
    assert msg.branch == "z9hG4bK776asdhds"
    assert msg.tid == "314159 a84b4c76e66710@pc33.atlanta.example.com"
    assert msg.transaction_key == ("z9hG4bK776asdhds", "pc33.atlanta.example.com", "INVITE")
    assert msg.body == b"v=0\n"


def test_header_lookup_any_form(backend: str) -> None:
    msg = sipfast.parse(INVITE)
    assert msg.get_header("call-id") == msg.get_header("i") == msg.get_header("CALL-ID")
    assert msg.get_header("Via") == "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds"
    assert msg.get_headers("v") == [
        "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds",
        "SIP/2.0/TCP p.example.com;branch=z9hG4bKx",
        "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK3",
    ]
    assert msg.get_headers("Route") == ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    assert msg.get_header("From") == '"Alice, A." <sip:alice@atlanta.example.com>;tag=1928301774'
    # unknown headers: case-insensitive, one value per line (no list grammar known)
    assert msg.get_headers("X-CUSTOM") == ["one", "two, three"]
    assert msg.get_header("Supported") is None
    assert msg.get_headers("Supported") == []
    assert msg.get_header("Nope") is None
    assert msg.headers[0][0] == "Via" and msg.headers[1] == ("Via", "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK3")
    assert ("Content-Length", "4") in msg.headers


def test_unmodified_bytes_identical(backend: str) -> None:
    for path in corpus_files():
        data = path.read_bytes()
        try:
            msg = sipfast.parse(data)
        except SIPParseError:
            continue
        if path.name == "dblreq.dat":
            assert bytes(msg) == data[: len(bytes(msg))] and len(data) - len(bytes(msg)) == 450
        else:
            assert bytes(msg) == data, path.name


def test_round_trip_after_rebuild(backend: str) -> None:
    for path in corpus_files():
        try:
            msg = sipfast.parse(path.read_bytes())
        except SIPParseError:
            continue
        again = sipfast.parse(bytes(msg))
        assert again == msg, path.name
        rebuilt = msg.copy()
        rebuilt.add_header("X-Touched", "1")
        rebuilt.del_header("X-Touched")
        wire = bytes(rebuilt)
        assert wire != b"" and sipfast.parse(wire) == rebuilt, path.name
        assert sipfast.parse(wire).body == msg.body


def test_modifications_rebuild(backend: str) -> None:
    msg = sipfast.parse(INVITE)
    msg.insert_header("Via", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKnew")
    assert msg.branch == "z9hG4bKnew"
    assert msg.get_headers("Via")[1] == "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds"
    msg.set_header("Max-Forwards", 69)
    assert msg.get_header("max-forwards") == "69"
    msg.del_header("x-custom")
    assert msg.get_headers("X-Custom") == []
    msg.add_header("Record-Route", ["<sip:a;lr>", "<sip:b;lr>"])
    assert msg.get_headers("Record-Route") == ["<sip:a;lr>", "<sip:b;lr>"]
    msg.set_body("hello", "text/plain")
    wire = bytes(msg)
    again = sipfast.parse(wire)
    assert again.body == b"hello"
    assert again.get_header("Content-Length") == "5"
    assert again.get_header("Content-Type") == "text/plain"
    assert again.get_header("Max-Forwards") == "69"
    assert again.branch == "z9hG4bKnew"
    assert again.from_tag == "1928301774"
    # compact forms are written out long
    assert b"\r\nFrom: " in wire and b"\r\nf: " not in wire
    # the original bytes object is untouched
    assert bytes(sipfast.parse(INVITE)) == INVITE


def test_set_header_keeps_position_and_deletes(backend: str) -> None:
    msg = sipfast.parse(INVITE)
    names = [n for n, _ in msg.headers]
    msg.set_header("CSeq", "1 INVITE")
    assert [n for n, _ in msg.headers] == names
    msg.set_header("Via", None)
    assert msg.get_header("Via") is None and msg.branch is None
    msg.set_cseq(7)
    assert msg.cseq == "7 INVITE"


def test_header_value_injection_refused(backend: str) -> None:
    msg = sipfast.parse(INVITE)
    with pytest.raises(ValueError):
        msg.add_header("X-Evil", "a\r\nVia: forged")
    with pytest.raises(ValueError):
        Request("INVITE", "sip:a b")


def test_build_request_and_parse(backend: str) -> None:
    req = Request(
        "REGISTER",
        "sip:example.com",
        headers={
            "Via": "SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds7",
            "From": "<sip:bob@example.com>;tag=456248",
            "To": "<sip:bob@example.com>",
            "Call-ID": "843817637684230@998sdasdh09",
            "CSeq": "1826 REGISTER",
            "Contact": ["<sip:bob@192.0.2.4>", "<sip:bob@198.51.100.2>;expires=60"],
            "Expires": 7200,
        },
    )
    wire = bytes(req)
    assert wire.startswith(b"REGISTER sip:example.com SIP/2.0\r\n")
    assert wire.endswith(b"Content-Length: 0\r\n\r\n")
    msg = sipfast.parse(wire, strict=True)
    assert msg == req
    assert msg.get_headers("Contact") == ["<sip:bob@192.0.2.4>", "<sip:bob@198.51.100.2>;expires=60"]
    assert msg.get_header("Expires") == "7200"
    req2 = Request("MESSAGE", "sip:a@b", [("To", "<sip:a@b>"), ("i", "x")], body="héllo")
    assert req2.get_header("Call-ID") == "x"
    assert req2.body == "héllo".encode()
    assert req2.get_header("Content-Length") == str(len("héllo".encode()))


def test_build_response(backend: str) -> None:
    resp = Response(486, headers=[("CSeq", "1 INVITE")])
    assert resp.reason == "Busy Here" and resp.code == 486 and resp.is_response
    assert bytes(resp).startswith(b"SIP/2.0 486 Busy Here\r\n")
    assert resp.method == "INVITE"
    parsed = sipfast.parse(bytes(resp))
    assert isinstance(parsed, Response) and parsed.code == 486 and parsed == resp
    with pytest.raises(ValueError):
        Response(99)


def test_create_response(backend: str) -> None:
    req = sipfast.parse(INVITE)
    assert isinstance(req, Request)
    trying = req.create_response(100)
    assert trying.code == 100 and trying.reason == "Trying"
    assert trying.to_tag is None  # no tag on 100 (RFC 3261 §8.2.6.2)
    ok = req.create_response(200, headers={"Contact": "<sip:bob@192.0.2.9>"}, body="v=0\r\n")
    assert ok.reason == "OK"
    assert ok.to_tag is not None and ok.to_tag != ""
    assert ok.get_headers("Via") == req.get_headers("Via")
    assert ok.from_tag == req.from_tag and ok.call_id == req.call_id and ok.cseq == req.cseq
    assert ok.get_header("Contact") == "<sip:bob@192.0.2.9>"
    assert ok.body == b"v=0\r\n"
    parsed = sipfast.parse(bytes(ok))
    assert parsed == ok
    busy = req.create_response(486, "Not Now")
    assert busy.reason == "Not Now"
    # a request that already has a To tag keeps it
    req.set_header("To", "Bob <sip:bob@biloxi.example.com>;tag=abc")
    assert req.create_response(200).to_tag == "abc"


def test_create_ack_and_cancel(backend: str) -> None:
    req = sipfast.parse(INVITE)
    assert isinstance(req, Request)
    resp = sipfast.parse(bytes(req.create_response(486)))
    assert isinstance(resp, Response)
    ack = req.create_ack(resp)
    assert ack.method == "ACK" and ack.uri == req.uri
    assert ack.cseq == "314159 ACK"
    assert ack.get_header("To") == resp.get_header("To") and ack.to_tag == resp.to_tag
    assert ack.get_headers("Via") == [req.get_header("Via")]
    assert ack.branch == req.branch
    assert ack.get_headers("Route") == req.get_headers("Route")
    assert ack.call_id == req.call_id and ack.from_tag == req.from_tag
    assert ack.transaction_key == req.transaction_key  # ACK matches the INVITE's transaction
    cancel = req.create_cancel()
    assert cancel.method == "CANCEL" and cancel.cseq == "314159 CANCEL"
    assert cancel.get_header("To") == req.get_header("To")
    assert cancel.branch == req.branch
    assert cancel.get_headers("Route") == req.get_headers("Route")
    assert sipfast.parse(bytes(cancel), strict=True) == cancel


def test_transaction_key_rfc2543(backend: str) -> None:
    data = (RFC4475 / "inv2543.dat").read_bytes()
    msg = sipfast.parse(data)
    key = msg.transaction_key
    assert key[0] == "sip:UserB@example.com" and key[3] == "inv2543.1717@ift.client.example.com"


def test_response_fields(backend: str) -> None:
    msg = sipfast.parse((BENCH / "unauthorized_401.sip").read_bytes())
    assert isinstance(msg, Response)
    assert msg.code == 401 and msg.reason == "Unauthorized" and msg.method == "REGISTER"
    assert msg.get_header("WWW-Authenticate", ).startswith("Digest ")  # type: ignore[union-attr]


def test_broken_from_raises_on_read(backend: str) -> None:
    data = (RFC4475 / "quotbal.dat").read_bytes()
    msg = sipfast.parse(data)
    with pytest.raises(SIPParseError) as err:
        _ = msg.to_tag
    assert err.value.reason == "bad-quoted-string"
    with pytest.raises(SIPParseError):
        sipfast.parse(data, strict=True)


def test_parse_errors(backend: str) -> None:
    with pytest.raises(SIPParseError) as err:
        sipfast.parse(b"garbage\r\n\r\n")
    assert err.value.reason == "bad-start-line" and isinstance(err.value, ValueError)
    with pytest.raises(SIPParseError) as err:
        sipfast.parse(b"x" * 70000)
    assert err.value.reason == "too-large" and err.value.status == 513
    with pytest.raises(SIPParseError) as err:
        sipfast.Packet.parse(INVITE.replace(b"l: 4", b"l: 40"))
    assert err.value.reason == "bad-content-length"


def test_str_input_and_equality(backend: str) -> None:
    a = sipfast.parse(INVITE.decode())
    b = sipfast.parse(INVITE)
    assert a == b
    assert repr(a).startswith("<Request ")


def test_sdp_body(backend: str) -> None:
    msg = sipfast.parse((BENCH / "invite_sdp.sip").read_bytes())
    sdp = msg.sdp_body()
    assert isinstance(sdp, sipfast.SDP)
    assert bytes(sdp) == msg.body
    assert sdp.media[0].media == "audio"
    # multipart/mixed with only a text and a binary part: no SDP
    mpart = sipfast.parse((RFC4475 / "mpart01.dat").read_bytes())
    assert mpart.sdp_body() is None
    assert sipfast.parse((BENCH / "options.sip").read_bytes()).sdp_body() is None


def test_request_with_sdp_body(backend: str) -> None:
    media = {"port": 49170, "proto": "RTP/AVP", "media": "audio", "fmt": [0, 8]}
    sdp = sipfast.SDP.from_parts({"addr": "192.0.2.10"}, media)
    req = Request("INVITE", "sip:bob@example.com", {"To": "<sip:bob@example.com>", "CSeq": "1 INVITE"}, body=sdp)
    assert req.get_header("Content-Type") == "application/sdp"
    wire = bytes(req)
    again = sipfast.parse(wire)
    assert again.get_header("Content-Length") == str(len(bytes(sdp)))
    got = again.sdp_body()
    assert got is not None and got == sdp
    assert got.media[0].port == 49170 and got.media[0].formats == ["0", "8"]
    # set_body on a parsed message replaces the body and keeps Content-Length right
    again.set_body(b"", None)
    assert again.get_header("Content-Type") is None and sipfast.parse(bytes(again)).body == b""
