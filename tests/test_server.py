"""RegistrarServer: the Sans-I/O ``handle`` (bytes in, bytes and destination out), ``salvage_response``,
and the UDP / TCP transports on loopback, driven from plain sockets."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from interop_helpers import exchange, exchange_tcp, recv_response, register_request

import sipfast
from sipfast import Request, Response, SIPParseError
from sipfast.auth import Authenticator
from sipfast.registrar import Registrar
from sipfast.server import Listen, RegistrarServer, parse_listen, salvage_response
from sipfast.stores import MemoryStore

DOMAIN = "example.com"
SRC = ("127.0.0.1", 40000)
T0 = 1_700_000_000.0


class Clock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_server(auth: bool = False, **kw: Any) -> RegistrarServer:
    authenticator = Authenticator(DOMAIN, {"alice": "wonderland"}, algorithms=["MD5"]) if auth else None
    registrar = Registrar(domains=DOMAIN, store=MemoryStore(), authenticator=authenticator, clock=lambda: T0)
    return RegistrarServer(registrar, **kw)


def request_bytes(method: str, via: str, *, call_id: str = "c1@host", cseq: int = 1, extra: str = "") -> bytes:
    return (
        f"{method} sip:{DOMAIN} SIP/2.0\r\n"
        f"Via: {via}\r\n"
        "Via: SIP/2.0/UDP proxy.example.net;branch=z9hG4bKdown\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:alice@{DOMAIN}>;tag=f1\r\n"
        f"To: <sip:alice@{DOMAIN}>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        f"{extra}"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def register_bytes(via: str = "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKr1", **kw: Any) -> bytes:
    extra = kw.pop("extra", "<sip:alice@127.0.0.1:40000>")
    return request_bytes("REGISTER", via, extra=f"Contact: {extra}\r\nExpires: 120\r\n" if extra else "", **kw)


def answer(out: Optional[tuple[bytes, Any]]) -> Response:
    assert out is not None
    msg = sipfast.parse(out[0])
    assert isinstance(msg, Response)
    return msg


# --- handle: methods ---------------------------------------------------------------------------


def test_register_gets_200_with_its_binding(backend: str) -> None:
    server = make_server()
    out = server.handle(register_bytes(), SRC)
    resp = answer(out)
    assert resp.code == 200
    assert resp.get_headers("Contact") == ["<sip:alice@127.0.0.1:40000>;expires=120"]
    assert resp.call_id == "c1@host" and resp.cseq == "1 REGISTER"
    assert server.registrar.query(f"sip:alice@{DOMAIN}") == ["sip:alice@127.0.0.1:40000"]
    assert (server.stats.accepted, server.stats.received, server.stats.other) == (1, 1, 0)


def test_options_gets_200_with_allow(backend: str) -> None:
    server = make_server()
    resp = answer(server.handle(request_bytes("OPTIONS", "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKo"), SRC))
    assert resp.code == 200
    assert resp.get_headers("Allow") == ["REGISTER", "OPTIONS"]
    assert resp.cseq == "1 OPTIONS"
    assert resp.to_tag  # a UAS answer carries a To tag
    assert server.stats.other == 1 and server.stats.accepted == 0


@pytest.mark.parametrize("method", ["INVITE", "SUBSCRIBE", "MESSAGE", "BYE", "CANCEL"])
def test_other_methods_get_405_with_allow(backend: str, method: str) -> None:
    server = make_server()
    resp = answer(server.handle(request_bytes(method, "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKi"), SRC))
    assert (resp.code, resp.reason) == (405, "Method Not Allowed")
    assert b"\r\nAllow: REGISTER, OPTIONS\r\n" in bytes(resp)
    assert resp.cseq == f"1 {method}"


def test_ack_gets_nothing(backend: str) -> None:
    server = make_server()
    assert server.handle(request_bytes("ACK", "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKa"), SRC) is None
    assert server.stats.other == 1


def test_a_response_gets_nothing(backend: str) -> None:
    server = make_server()
    data = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"
    assert server.handle(data, SRC) is None
    assert server.handle(b"SIP/2.0 200 OK broken\r\nCall-ID", SRC) is None


def test_foreign_domain_gets_404(backend: str) -> None:
    server = make_server()
    data = register_bytes().replace(b"alice@example.com", b"alice@example.org")
    assert answer(server.handle(data, SRC)).code == 404
    assert server.stats.rejected == 1


def test_challenge_then_credentials(backend: str) -> None:
    server = make_server(auth=True)
    request = sipfast.parse(register_bytes())
    assert isinstance(request, Request)
    challenge = answer(server.handle(bytes(request), SRC))
    assert challenge.code == 401
    assert request.authorize(challenge, ("alice", "wonderland"))
    request.set_header("Via", ["SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKr2"])
    assert answer(server.handle(bytes(request), SRC)).code == 200
    assert (server.stats.challenged, server.stats.accepted) == (1, 1)


# --- handle: where a UDP answer goes (RFC 3261 §18.2.2, RFC 3581) -------------------------------


def top_via(resp: Response) -> tuple[str, dict[str, str]]:
    via = sipfast.parse_via(resp.get_headers("Via")[0])
    return via.sent_by, dict(via.params)


def test_rport_and_received_set_from_the_source(backend: str) -> None:
    server = make_server()
    out = server.handle(register_bytes("SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKn;rport"), SRC)
    assert out is not None
    sent_by, params = top_via(answer(out))
    assert sent_by == "192.0.2.10:5070"
    assert params == {"branch": "z9hG4bKn", "rport": "40000", "received": "127.0.0.1"}
    assert out[1] == SRC  # to the source port, not the one in sent-by
    # the Via below is untouched
    assert answer(out).get_headers("Via")[1] == "SIP/2.0/UDP proxy.example.net;branch=z9hG4bKdown"


def test_rport_with_a_matching_host_still_gets_received(backend: str) -> None:
    # RFC 3581 §4: received is inserted "even if it is identical to the value of the sent-by"
    server = make_server()
    out = server.handle(register_bytes("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKm;rport"), SRC)
    assert out is not None
    assert top_via(answer(out))[1] == {"branch": "z9hG4bKm", "rport": "40000", "received": "127.0.0.1"}
    assert out[1] == SRC


def test_received_without_rport_answers_to_the_sent_by_port(backend: str) -> None:
    server = make_server()
    out = server.handle(register_bytes("SIP/2.0/UDP client.example.net:5070;branch=z9hG4bKq"), SRC)
    assert out is not None
    assert top_via(answer(out))[1] == {"branch": "z9hG4bKq", "received": "127.0.0.1"}
    assert out[1] == ("127.0.0.1", 5070)


def test_no_port_in_sent_by_means_5060(backend: str) -> None:
    server = make_server()
    out = server.handle(register_bytes("SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKp"), SRC)
    assert out is not None and out[1] == ("127.0.0.1", 5060)


def test_matching_sent_by_is_left_alone(backend: str) -> None:
    server = make_server()
    data = register_bytes("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKs")
    out = server.handle(data, SRC)
    assert out is not None
    assert answer(out).get_headers("Via")[0] == "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKs"
    assert out[1] == ("127.0.0.1", 5070)


def test_ipv6_source_keeps_its_scope(backend: str) -> None:
    server = make_server()
    src = ("::1", 40000, 0, 0)
    out = server.handle(register_bytes("SIP/2.0/UDP [::1]:5070;branch=z9hG4bK6;rport"), src)
    assert out is not None
    assert out[1] == src
    assert top_via(answer(out))[1] == {"branch": "z9hG4bK6", "rport": "40000", "received": "::1"}


def test_tcp_answers_go_back_unchanged(backend: str) -> None:
    server = make_server()
    out = server.handle(register_bytes("SIP/2.0/TCP 192.0.2.10:5070;branch=z9hG4bKt;rport"), SRC, "tcp")
    assert out is not None
    assert out[1] == SRC
    assert answer(out).get_headers("Via")[0] == "SIP/2.0/TCP 192.0.2.10:5070;branch=z9hG4bKt;rport"


# --- handle: retransmissions (RFC 3261 §17.2.2) -------------------------------------------------


def test_udp_retransmission_gets_the_same_answer_without_being_applied_again(backend: str) -> None:
    server = make_server()
    data = register_bytes()
    first = server.handle(data, SRC)
    again = server.handle(data, SRC)
    assert first is not None and again == first
    assert (server.stats.accepted, server.stats.rejected, server.stats.retransmissions) == (1, 0, 1)
    # another REGISTER with the same Call-ID and CSeq is not a retransmission: it is handled
    # (and refused, its CSeq is not new)
    other = data.replace(b"Expires: 120", b"Expires: 100")
    assert answer(server.handle(other, SRC)).code == 500
    assert server.stats.retransmissions == 1


def test_retransmitted_request_for_credentials_gets_the_same_challenge(backend: str) -> None:
    server = make_server(auth=True)
    data = register_bytes()
    first, again = server.handle(data, SRC), server.handle(data, SRC)
    assert first == again
    assert answer(first).code == 401
    assert server.stats.challenged == 1


def test_retransmission_from_another_address_is_handled_again(backend: str) -> None:
    server = make_server(auth=True)
    data = register_bytes()
    first = server.handle(data, SRC)
    other = server.handle(data, ("127.0.0.1", 40001))
    assert first is not None and other is not None and first[0] != other[0]  # a new nonce
    assert server.stats.challenged == 2 and server.stats.retransmissions == 0


def test_answers_are_forgotten_after_the_ttl(backend: str) -> None:
    clock = Clock(100.0)
    server = make_server(auth=True, clock=clock, transaction_ttl=32.0)
    data = register_bytes()
    first = server.handle(data, SRC)
    clock.now += 31.0
    assert server.handle(data, SRC) == first
    # past the ttl the next answer starts a new generation; two generations on, it is gone
    clock.now += 33.0
    server.handle(register_bytes(call_id="c2@host"), SRC)
    clock.now += 33.0
    server.handle(register_bytes(call_id="c3@host"), SRC)
    assert server.handle(data, SRC) != first
    assert server.stats.challenged == 4 and server.stats.retransmissions == 1


def test_answers_kept_are_bounded_in_number(backend: str) -> None:
    server = make_server(auth=True, udp_transactions=2)
    data = [register_bytes(call_id=f"n{i}@host") for i in range(4)]
    first = [server.handle(d, SRC) for d in data]
    assert server.handle(data[3], SRC) == first[3]
    assert server.handle(data[0], SRC) != first[0]


def test_no_answers_kept_over_tcp_or_when_disabled(backend: str) -> None:
    server = make_server(auth=True)
    data = register_bytes()
    assert server.handle(data, SRC, "tcp") != server.handle(data, SRC, "tcp")
    off = make_server(auth=True, udp_transactions=0)
    assert off.handle(data, SRC) != off.handle(data, SRC)
    assert server.stats.retransmissions == off.stats.retransmissions == 0


def test_ack_is_never_answered_from_the_cache(backend: str) -> None:
    server = make_server()
    invite = request_bytes("INVITE", "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKinv")
    assert answer(server.handle(invite, SRC)).code == 405
    ack = request_bytes("ACK", "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKinv")
    assert server.handle(ack, SRC) is None
    assert server.handle(ack, SRC) is None


# --- handle: what does not parse --------------------------------------------------------------


def test_garbage_is_dropped_and_counted(backend: str) -> None:
    server = make_server()
    for junk in (b"\x00\xff\x13garbage", b"HELLO", b"REGISTER sip:exa", b"\r\n\x80\x81\r\n\r\n"):
        assert server.handle(junk, SRC) is None
    assert (server.stats.bad, server.stats.dropped, server.stats.received) == (4, 4, 4)


def test_unparsable_request_with_readable_fields_gets_400(backend: str) -> None:
    server = make_server()
    data = register_bytes().replace(b"Content-Length: 0", b"Content-Length: 99")  # more than arrived
    resp = answer(server.handle(data, SRC))
    assert resp.code == 400
    assert "bad-content-length" in resp.reason
    assert resp.get_headers("Via") == [
        "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKr1",
        "SIP/2.0/UDP proxy.example.net;branch=z9hG4bKdown",
    ]
    assert resp.call_id == "c1@host" and resp.cseq == "1 REGISTER"
    assert (server.stats.bad, server.stats.dropped) == (1, 0)


def test_salvage_reads_compact_names_and_keeps_values(backend: str) -> None:
    data = (
        b"REGISTER sip:example.com SIP/9.9\r\n"
        b"v: SIP/2.0/UDP h1;branch=z9hG4bK1\r\n"
        b"v: SIP/2.0/UDP h2;branch=z9hG4bK2\r\n"
        b"f: <sip:a@example.com>;tag=x\r\nt: <sip:a@example.com>\r\n"
        b"i: abc\r\ncseq: 7 REGISTER\r\n\r\n"
    )
    resp = salvage_response(data, SIPParseError("bad-version"))
    assert resp is not None and resp.code == 400
    assert resp.get_headers("Via") == ["SIP/2.0/UDP h1;branch=z9hG4bK1", "SIP/2.0/UDP h2;branch=z9hG4bK2"]
    assert (resp.get_header("From"), resp.get_header("To")) == ("<sip:a@example.com>;tag=x", "<sip:a@example.com>")
    assert (resp.call_id, resp.cseq) == ("abc", "7 REGISTER")
    assert resp.reason == "Bad Request (bad-version)"
    too_big = salvage_response(data, SIPParseError("too-large", status=513))
    assert too_big is not None and too_big.code == 513 and "too-large" in too_big.reason


@pytest.mark.parametrize("drop", [b"v: ", b"f: ", b"t: ", b"i: ", b"cseq: "])
def test_salvage_needs_every_field(backend: str, drop: bytes) -> None:
    lines = [
        b"REGISTER sip:example.com SIP/9.9",
        b"v: SIP/2.0/UDP h1;branch=z9hG4bK1",
        b"f: <sip:a@example.com>;tag=x",
        b"t: <sip:a@example.com>",
        b"i: abc",
        b"cseq: 7 REGISTER",
    ]
    data = b"\r\n".join(ln for ln in lines if not ln.startswith(drop)) + b"\r\n\r\n"
    assert salvage_response(data, SIPParseError("bad-version")) is None


@pytest.mark.parametrize(
    ("old", "new"),
    [(b"cseq: 7 REGISTER", b"cseq: 7"), (b"v: SIP/2.0/UDP h1;branch=z9hG4bK1", b"v: h1 h2 h3")],
    ids=["cseq", "via"],
)
def test_salvage_needs_a_cseq_and_top_via_that_parse(backend: str, old: bytes, new: bytes) -> None:
    data = (
        b"REGISTER sip:example.com SIP/9.9\r\nv: SIP/2.0/UDP h1;branch=z9hG4bK1\r\n"
        b"f: <sip:a@example.com>;tag=x\r\nt: <sip:a@example.com>\r\ni: abc\r\ncseq: 7 REGISTER\r\n\r\n"
    )
    assert salvage_response(data, SIPParseError("bad-version")) is not None
    assert salvage_response(data.replace(old, new), SIPParseError("bad-version")) is None


def test_value_that_cannot_go_back_into_a_response_is_dropped(backend: str) -> None:
    # a bare CR inside a header value: the lenient parse lets it through, but no response can
    # carry it; the request is counted as bad, and nothing fails inside the server
    server = make_server(auth=True)
    data = register_bytes().replace(b"z9hG4bKdown\r\n", b"z9hG4bKdown\r\x00")
    assert server._safe_handle(data, SRC, "udp") is None
    assert (server.stats.bad, server.stats.dropped, server.stats.errors) == (1, 1, 0)


def test_salvage_never_answers_a_response(backend: str) -> None:
    data = b"SIP/2.0 200\r\nVia: SIP/2.0/UDP h\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 X\r\n\r\n"
    assert salvage_response(data, SIPParseError("bad-start-line")) is None


def test_parse_listen() -> None:
    assert parse_listen("udp:127.0.0.1:5060") == Listen("udp", "127.0.0.1", 5060)
    assert parse_listen("TCP:[::1]:0") == Listen("tcp", "::1", 0)
    assert str(Listen("tcp", "::1", 5)) == "tcp:[::1]:5"
    for bad in ("udp:127.0.0.1", "sctp:h:1", "udp:h:70000", "udp:::1:5", "udp:h:-1"):
        with pytest.raises(ValueError):
            parse_listen(bad)


# Mutations of a valid REGISTER and arbitrary bytes: handle never raises, and whatever it sends
# back is a response that parses.
VALID = register_bytes("SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKfz;rport")


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
            if not data:
                break
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from([b"\r\n", b":", b";", b"<", b",", b"\x00", b" ", b"\r\n\r\n"]))
        else:
            del data[at : at + draw(st.integers(1, 20))]
            if not data:
                break
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(mutated(), st.binary(max_size=400)))
def test_handle_survives_anything(backend: str, data: bytes) -> None:
    server = make_server(auth=True)
    out = server._safe_handle(data, SRC, "udp")
    assert server.stats.errors == 0
    if out is not None:
        assert isinstance(sipfast.parse(out[0]), Response)
    # and the next valid request is answered as usual
    assert answer(server.handle(VALID, SRC)).code == 401


# --- transports on loopback -------------------------------------------------------------------


class LiveServer:
    """A RegistrarServer on its own event loop in a thread, for blocking sockets in the test."""

    def __init__(self, server: RegistrarServer, listens: list[str]) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        try:
            self._call(server.start([parse_listen(s) for s in listens]))
        except BaseException:
            self.stop()
            raise

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def address(self, transport: str) -> tuple[str, int]:
        bound = next(b for b in self.server.bound if b.transport == transport)
        return bound.host, bound.port

    def stop(self) -> None:
        try:
            if self.server.bound:
                self._call(self.server.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()


@pytest.fixture
def live() -> Iterator[LiveServer]:
    running = LiveServer(make_server(max_size=4096), ["udp:127.0.0.1:0", "tcp:127.0.0.1:0"])
    try:
        yield running
    finally:
        running.stop()


def udp_client(host: str = "127.0.0.1") -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.settimeout(5.0)
    return sock


def tcp_client(address: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(address, timeout=5.0)
    sock.settimeout(5.0)
    return sock


def read_until_closed(sock: socket.socket, limit: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection (fails after ``limit`` s)."""
    got = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65535)
        except ConnectionResetError:
            return got
        if not chunk:
            return got
        got += chunk
    raise AssertionError(f"connection still open after {limit} s; got {got!r}")


def test_udp_register_and_options(live: LiveServer) -> None:
    with udp_client() as sock:
        local = sock.getsockname()
        resp = exchange(sock, register_request("alice", DOMAIN, local, contact="", expires=60), live.address("udp"))
        assert resp.code == 200
        assert resp.get_headers("Contact") == [f"<sip:alice@127.0.0.1:{local[1]}>;expires=60"]
        sock.sendto(b"\r\n\r\n", live.address("udp"))  # a keep-alive: no answer
        options = request_bytes("OPTIONS", f"SIP/2.0/UDP 127.0.0.1:{local[1]};branch=z9hG4bKopt", call_id="o1")
        sock.sendto(options, live.address("udp"))
        resp, _ = recv_response(sock)
        assert (resp.code, resp.call_id, resp.get_headers("Allow")) == (200, "o1", ["REGISTER", "OPTIONS"])
    assert live.server.registrar.query(f"sip:alice@{DOMAIN}") == [f"sip:alice@127.0.0.1:{local[1]}"]


def test_udp_answer_follows_rport_to_the_source(live: LiveServer) -> None:
    with udp_client() as sock:
        # sent-by names a port nobody listens on; rport asks for the source port instead
        via = "SIP/2.0/UDP 192.0.2.44:9;branch=z9hG4bKrp;rport"
        sock.sendto(register_bytes(via, call_id="rp1"), live.address("udp"))
        resp, _ = recv_response(sock)
        assert resp.call_id == "rp1"
        params = dict(sipfast.parse_via(resp.get_headers("Via")[0]).params)
        assert params["rport"] == str(sock.getsockname()[1])
        assert params["received"] == "127.0.0.1"


def test_tcp_register_several_per_segment_and_split(live: LiveServer) -> None:
    with tcp_client(live.address("tcp")) as sock:
        local = sock.getsockname()
        first = register_request("bob", DOMAIN, local, transport="TCP", contact="")
        assert exchange_tcp(sock, first).code == 200
        # two messages in one segment, then one in three pieces
        two = [register_request(u, DOMAIN, local, transport="TCP", contact="") for u in ("carol", "dave")]
        sock.sendall(bytes(two[0]) + bytes(two[1]))
        framer = sipfast.Framer()
        got: list[bytes] = []
        while len(got) < 2:
            got += framer.feed(sock.recv(65535))
        assert [sipfast.parse(g).call_id for g in got] == [two[0].call_id, two[1].call_id]
        third = bytes(register_request("erin", DOMAIN, local, transport="TCP", contact=""))
        for piece in (third[:10], third[10:150], third[150:]):
            sock.sendall(piece)
            time.sleep(0.02)
        resp = sipfast.parse(sock.recv(65535))
        assert isinstance(resp, Response) and resp.code == 200
    assert live.server.registrar.query(f"sip:erin@{DOMAIN}") == [f"sip:erin@127.0.0.1:{local[1]}"]


def test_tcp_over_the_size_limit_gets_513_and_is_closed(live: LiveServer) -> None:
    with tcp_client(live.address("tcp")) as sock:
        big = register_request("bob", DOMAIN, sock.getsockname(), transport="TCP", contact="")
        big.add_header("X-Padding", "p" * 5000)  # the server's limit is 4096 bytes
        sock.sendall(bytes(big))
        data = read_until_closed(sock)
    resp = sipfast.parse(data)
    assert isinstance(resp, Response) and resp.code == 513
    assert resp.call_id == big.call_id
    assert live.server.stats.bad == 1
    # the server still serves new connections
    with tcp_client(live.address("tcp")) as sock:
        assert exchange_tcp(sock, register_request("bob", DOMAIN, sock.getsockname(), transport="TCP")).code == 200


def test_tcp_garbage_closes_only_that_connection(live: LiveServer) -> None:
    with tcp_client(live.address("tcp")) as bystander, tcp_client(live.address("tcp")) as sock:
        sock.sendall(b"REGISTER sip:x SIP/2.0\r\nContent-Length: -5\r\n\r\n")
        assert read_until_closed(sock) == b""  # nothing to answer from: dropped, closed
        local = bystander.getsockname()
        assert exchange_tcp(bystander, register_request("bob", DOMAIN, local, transport="TCP")).code == 200
    assert (live.server.stats.bad, live.server.stats.dropped) == (1, 1)


def test_idle_tcp_connection_is_closed() -> None:
    running = LiveServer(make_server(tcp_idle_timeout=1.0), ["tcp:127.0.0.1:0"])
    try:
        with tcp_client(running.address("tcp")) as busy, tcp_client(running.address("tcp")) as idle:
            t0 = time.monotonic()
            # traffic keeps a connection open: requests 0.35 s apart outlive the 1 s timeout
            for _ in range(4):
                assert exchange_tcp(busy, register_request("bob", DOMAIN, busy.getsockname(), transport="TCP")).code
                time.sleep(0.35)
            assert read_until_closed(idle, limit=5.0) == b""
            assert time.monotonic() - t0 >= 0.95
            assert read_until_closed(busy, limit=5.0) == b""  # then idle in its turn
    finally:
        running.stop()


def test_close_ends_open_tcp_connections() -> None:
    running = LiveServer(make_server(), ["tcp:127.0.0.1:0"])
    try:
        with tcp_client(running.address("tcp")) as sock:
            assert exchange_tcp(sock, register_request("bob", DOMAIN, sock.getsockname(), transport="TCP")).code == 200
            running._call(running.server.close())
            assert read_until_closed(sock) == b""
    finally:
        running.stop()


def ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
def test_udp_over_ipv6() -> None:
    running = LiveServer(make_server(), ["udp:[::1]:0", "tcp:[::1]:0"])
    try:
        assert [str(b).rsplit(":", 1)[0] for b in running.server.bound] == ["udp:[::1]", "tcp:[::1]"]
        with udp_client("::1") as sock:
            local = sock.getsockname()
            request = register_request("alice", DOMAIN, local, contact="", expires=60, rport=True)
            resp = exchange(sock, request, running.address("udp"))
            assert resp.code == 200
            assert resp.get_headers("Contact") == [f"<sip:alice@[::1]:{local[1]}>;expires=60"]
            assert dict(sipfast.parse_via(resp.get_headers("Via")[0]).params)["rport"] == str(local[1])
    finally:
        running.stop()


def test_udp_garbage_interleaved_with_registers(live: LiveServer) -> None:
    rng = random.Random(5)
    with udp_client() as sock:
        local = sock.getsockname()
        for i in range(40):
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
            sock.sendto(junk, live.address("udp"))
            request = register_request(f"user{i}", DOMAIN, local, contact="")
            resp = exchange(sock, request, live.address("udp"))
            assert resp.code == 200
    assert live.server.stats.accepted == 40
    assert live.server.stats.bad == live.server.stats.dropped == 40
