"""asyncio UDP and TCP transports that feed a Registrar.

``RegistrarServer.handle(data, addr)`` is the whole protocol (bytes in, bytes and a destination
out); the transports only move bytes. UDP: one datagram, one message, answered per RFC 3261
§18.2.2 / RFC 3581 (``received`` / ``rport``); a retransmitted request gets the response it got
the first time instead of being handled again (RFC 3261 §17.2.2). TCP: messages framed by
Content-Length, answered on the same connection, idle connections closed, a message over the size
limit answered with 513 and its connection closed. A request that does not parse gets 400 when
its Via, From, To, Call-ID and CSeq can still be read, and is otherwise dropped and counted; no
sender can stop the loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from . import _speedups
from .errors import SIPParseError
from .message import Packet, Request, Response
from .registrar import Registrar

__all__ = ("Listen", "RegistrarServer", "ServerStats", "parse_listen")

log = logging.getLogger("sipfast.server")

ALLOW = "REGISTER, OPTIONS"
Address = tuple[Any, ...]


@dataclass(frozen=True)
class Listen:
    """One address to listen on: ``udp:127.0.0.1:5060``, ``tcp:[::1]:5060``."""

    transport: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}:{host}:{self.port}"


def parse_listen(text: str) -> Listen:
    """Parse ``udp:HOST:PORT`` or ``tcp:HOST:PORT`` (an IPv6 host in brackets)."""
    m = re.fullmatch(r"(udp|tcp):(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+):([0-9]{1,5})", text.strip(), re.I)
    if not m or not 0 <= int(m.group(3)) <= 65535:
        raise ValueError(f"bad listen address {text!r}: expected udp:HOST:PORT or tcp:HOST:PORT")
    return Listen(m.group(1).lower(), m.group(2).strip("[]"), int(m.group(3)))


@dataclass
class ServerStats:
    """What the server did since it started."""

    received: int = 0
    accepted: int = 0  # REGISTERs answered 2xx
    challenged: int = 0  # REGISTERs answered 401 / 407
    rejected: int = 0  # REGISTERs answered with another error
    other: int = 0  # requests other than REGISTER
    bad: int = 0  # messages that did not parse
    dropped: int = 0  # bad messages that could not even get a 400
    retransmissions: int = 0  # UDP requests answered again with the response already sent
    errors: int = 0  # failures inside the server (logged)

    def summary(self) -> str:
        return (
            f"{self.accepted} registrations accepted, {self.rejected} rejected, {self.challenged} challenged, "
            f"{self.bad} bad messages ({self.dropped} dropped), {self.other} other requests, "
            f"{self.retransmissions} retransmissions answered"
        )


@dataclass
class _Salvage:
    vias: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


_SALVAGE_NEEDS = ("From", "To", "Call-ID", "CSeq")


def salvage_response(data: bytes, error: SIPParseError) -> Optional[Response]:
    """An error response to a request that did not parse, if enough of it is readable: its Via,
    From, To, Call-ID and CSeq lines (any name form), copied as they are; else None."""
    head = data.lstrip(b"\r\n")
    if head[:4].upper() == b"SIP/":
        return None  # a broken response gets no answer
    end = head.find(b"\r\n\r\n")
    head = head[: end if end >= 0 else len(head)]
    canonical = _speedups.parser.canonical_name
    found = _Salvage()
    for raw in head.split(b"\n")[1:]:
        line = raw.rstrip(b"\r")
        name, colon, value = line.partition(b":")
        if not colon or not name or name[:1] in b" \t":
            continue
        try:
            cname = canonical(name.decode("ascii").strip())
            text = value.decode("utf-8").strip()
        except (UnicodeDecodeError, SIPParseError):
            continue
        if not text:
            continue
        if cname == "Via":
            found.vias.append(text)
        elif cname in _SALVAGE_NEEDS:
            found.fields.setdefault(cname, text)
    if not found.vias or any(n not in found.fields for n in _SALVAGE_NEEDS):
        return None
    # the client matches an answer to its request by the top Via's branch and by CSeq: when
    # those do not parse, no answer can reach its transaction
    try:
        _speedups.parser.parse_via(found.vias[0])
        _speedups.parser.parse_cseq(found.fields["CSeq"])
    except SIPParseError:
        return None
    headers = [("Via", v) for v in found.vias] + [(n, found.fields[n]) for n in _SALVAGE_NEEDS]
    status = error.status if 400 <= error.status <= 699 else 400
    reason = f"{'Bad Request' if status == 400 else Response(status).reason} ({error.reason})"
    try:
        return Response(status, reason, headers)
    except ValueError:
        return None


_RPORT = re.compile(r";[ \t]*rport(?=[ \t]*(?:;|$))", re.I)


def _udp_answer(request: Request, response: Response, addr: Address) -> tuple[bytes, Address]:
    """The wire form of a UDP response and where it goes (RFC 3261 §18.2.2 with RFC 3581), with
    received / rport set on its top Via when the request asks for them or came from elsewhere."""
    out = bytes(response)
    src_host, src_port = addr[0], addr[1]
    top = request.get_header("Via")
    if top is None:
        return out, addr
    try:
        via = _speedups.parser.parse_via(top)
    except SIPParseError:
        return out, addr
    params = via.params
    rport = "rport" in params and not params["rport"]
    patched = top
    # RFC 3581 §4: with an empty rport the server "MUST insert a received parameter containing
    # the source IP address that the request came from, even if it is identical to the value of
    # the sent-by component"; RFC 3261 §18.2.1: otherwise only when they differ.
    if "received" not in params and (rport or via.host.strip("[]").lower() != src_host.lower()):
        patched += f";received={src_host}"
    if rport:
        patched = _RPORT.sub(f";rport={src_port}", patched, count=1)
        dest: Address = (src_host, src_port)
    else:
        dest = (params.get("received") or src_host, via.port or 5060)
    if len(addr) > 2:  # IPv6 flowinfo / scope id
        dest = (dest[0], dest[1], *addr[2:])
    if patched is top:
        return out, dest
    # The response carries the request's Via values as they came (RFC 3261 §8.2.6.2), so the top
    # one is the first "Via: <top>" line of the wire form: patching that line costs far less than
    # rebuilding the header list. The header-level edit is kept for a response built otherwise.
    encoding = ("utf-8", "surrogateescape")
    needle = b"\r\nVia: " + top.encode(*encoding) + b"\r\n"
    at = out.find(needle)
    if at >= 0:
        return out[:at] + b"\r\nVia: " + patched.encode(*encoding) + b"\r\n" + out[at + len(needle) :], dest
    vias = response.get_headers("Via")
    if vias:
        vias[0] = patched
        response.set_header("Via", vias)
    return bytes(response), dest


class _Answered:
    """Responses already sent over UDP, to answer retransmissions of their requests.

    RFC 3261 §17.2.2: a non-INVITE server transaction stays "Completed" for Timer J (64*T1 = 32 s
    over UDP) and "the server transaction MUST pass the final response to the transport layer for
    retransmission" whenever the request comes again. Without this a retransmitted REGISTER would
    be applied again: 500 (its CSeq is no longer new), or a fresh 401 for credentials already used
    (a replayed nc), which the client takes as the answer when the first one was lost.

    A retransmission is the same datagram from the same address: the key is (address, a 128-bit
    hash of the bytes), a stricter match than §17.2.3's (branch, sent-by, method) that needs no
    parsing. Two generations of a dict: entries live at least ``ttl`` seconds, unless more than
    ``size`` requests arrive in that time, then the oldest go first.
    """

    def __init__(self, size: int, ttl: float, now: float) -> None:
        self.half = max(1, size // 2)
        self.ttl = ttl
        self._new: dict[tuple[Address, bytes], tuple[bytes, Address]] = {}
        self._old: dict[tuple[Address, bytes], tuple[bytes, Address]] = {}
        self._since = now

    @staticmethod
    def key(data: bytes, addr: Address) -> tuple[Address, bytes]:
        return addr, hashlib.blake2b(data, digest_size=16).digest()

    def get(self, key: tuple[Address, bytes]) -> Optional[tuple[bytes, Address]]:
        return self._new.get(key) or self._old.get(key)

    def put(self, key: tuple[Address, bytes], answer: tuple[bytes, Address], now: float) -> None:
        if len(self._new) >= self.half or now - self._since >= self.ttl:
            self._old = self._new
            self._new = {}
            self._since = now
        self._new[key] = answer

    def __len__(self) -> int:
        return len(self._new) + len(self._old)


class RegistrarServer:
    """Serves a Registrar over UDP and TCP (IPv4 and IPv6).

    ``await server.start([parse_listen("udp:127.0.0.1:5060"), ...])``, then ``await server.close()``.
    A UDP request that comes again (the same datagram from the same address) within
    ``transaction_ttl`` seconds gets the response it got the first time, without being handled
    again (RFC 3261 §17.2.2); at most ``udp_transactions`` responses are kept for that (0: none).
    ``clock``: seconds, as time.monotonic.
    """

    def __init__(
        self,
        registrar: Registrar,
        max_size: int = 65536,
        tcp_idle_timeout: float = 120.0,
        udp_transactions: int = 65536,
        transaction_ttl: float = 32.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registrar = registrar
        self.max_size = max_size
        self.tcp_idle_timeout = tcp_idle_timeout
        self.clock = clock
        self._answered = _Answered(udp_transactions, transaction_ttl, clock()) if udp_transactions > 0 else None
        self.stats = ServerStats()
        self._udp: list[_UDPEndpoint] = []
        self._connections: set[_TCPProtocol] = set()
        self._servers: list[asyncio.AbstractServer] = []
        self.bound: list[Listen] = []

    # --- the protocol, without I/O -------------------------------------------------------------

    def handle(self, data: bytes, addr: Address, transport: str = "udp") -> Optional[tuple[bytes, Address]]:
        """One message in; the bytes to send back and where (None: nothing to send)."""
        stats = self.stats
        stats.received += 1
        answered = self._answered if transport == "udp" else None
        if answered is not None:
            key = answered.key(data, addr)
            again = answered.get(key)
            if again is not None:
                stats.retransmissions += 1
                return again
        try:
            msg = Packet.parse(data, max_size=self.max_size)
        except SIPParseError as exc:
            stats.bad += 1
            answer = salvage_response(data, exc)
            if answer is None:
                stats.dropped += 1
                return None
            return bytes(answer), addr
        if not isinstance(msg, Request):
            return None  # a registrar sends no requests, so any response is stray
        try:
            response = self._respond(msg, addr)
        except ValueError as exc:
            # a header read structurally was broken (SIPParseError), or a value the lenient
            # parse let through cannot be written back into a response (a bare CR, say)
            stats.bad += 1
            error = exc if isinstance(exc, SIPParseError) else SIPParseError("bad-header", detail=str(exc))
            answer = salvage_response(data, error)
            if answer is None:
                stats.dropped += 1
                return None
            return bytes(answer), addr
        if response is None:
            return None
        if transport != "udp":
            return bytes(response), addr
        out = _udp_answer(msg, response, addr)
        if answered is not None:
            answered.put(key, out, self.clock())
        return out

    def _respond(self, request: Request, addr: Address) -> Optional[Response]:
        method = request.method
        stats = self.stats
        if method == "REGISTER":
            try:
                response = self.registrar.receive(request, addr)
            except ValueError:  # the request's fault, not the store's: handle() answers it
                raise
            except Exception:  # the store failed (disk, Redis down): nothing was changed
                stats.errors += 1
                log.exception("registrar failed on a REGISTER from %s", addr)
                return request.create_response(500, "Server Internal Error (store unavailable)")
            if response is not None:
                code = response.code
                if code < 300:
                    stats.accepted += 1
                elif code in (401, 407):
                    stats.challenged += 1
                else:
                    stats.rejected += 1
            return response
        stats.other += 1
        if method == "ACK":
            return None  # never answered (RFC 3261 §17.2.1)
        if method == "OPTIONS":
            return request.create_response(200, headers=[("Allow", ALLOW)])
        return request.create_response(405, headers=[("Allow", ALLOW)])

    # --- transports ---------------------------------------------------------------------------

    async def start(self, listens: list[Listen]) -> None:
        loop = asyncio.get_running_loop()
        for spec in listens:
            family = socket.AF_INET6 if ":" in spec.host else socket.AF_INET
            if spec.transport == "udp":
                infos = await loop.getaddrinfo(spec.host, spec.port, family=family, type=socket.SOCK_DGRAM)
                sock = socket.socket(family, socket.SOCK_DGRAM)
                try:
                    sock.setblocking(False)
                    _grow_buffers(sock)
                    sock.bind(infos[0][4])
                except BaseException:
                    sock.close()
                    raise
                self._udp.append(_UDPEndpoint(self, sock, loop))
                port = sock.getsockname()[1]
            else:
                server = await loop.create_server(
                    lambda: _TCPProtocol(self), host=spec.host, port=spec.port, family=family, reuse_address=True
                )
                self._servers.append(server)
                port = server.sockets[0].getsockname()[1]
            self.bound.append(Listen(spec.transport, spec.host, port))

    async def close(self) -> None:
        for endpoint in self._udp:
            endpoint.close()
        for server in self._servers:
            server.close()
        # a listening server's close() leaves accepted connections open (and from Python 3.12
        # wait_closed() waits for them): close them, or an idle client holds up the shutdown
        for connection in list(self._connections):
            connection.close()
        for server in self._servers:
            await server.wait_closed()
        self._udp.clear()
        self._servers.clear()

    def _safe_handle(self, data: bytes, addr: Address, transport: str) -> Optional[tuple[bytes, Address]]:
        try:
            return self.handle(data, addr, transport)
        except Exception:  # one bad sender, or a store hiccup, must not stop the loop
            self.stats.errors += 1
            log.exception("failed to handle a message from %s", addr)
            return None


def _grow_buffers(sock: Optional[socket.socket]) -> None:
    # bursts of thousands of REGISTERs per second overflow the default socket buffers
    if sock is None:
        return
    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, 4 * 1024 * 1024)
        except OSError:
            pass


# Datagrams read per readiness event. asyncio's datagram transport reads one per event-loop turn,
# so a busy server pays a turn (an epoll_wait and the loop's bookkeeping) for every datagram; a
# batch keeps that to one turn per burst. Bounded, so that TCP connections still get their turns.
_UDP_BATCH = 64
# Responses waiting for room in a full socket send buffer; beyond this they are dropped, as the
# network would drop them (the client retransmits).
_UDP_BACKLOG = 4096


class _UDPEndpoint:
    """A bound UDP socket on the event loop: reads datagrams in batches, answers each at once."""

    def __init__(self, server: RegistrarServer, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.sock = sock
        self.loop = loop
        self.backlog: deque[tuple[bytes, Address]] = deque()
        loop.add_reader(sock.fileno(), self._read)

    def _read(self) -> None:
        recvfrom = self.sock.recvfrom
        handle = self.server._safe_handle
        for _ in range(_UDP_BATCH):
            try:
                data, addr = recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # an ICMP error reported on the socket: not fatal
                log.debug("UDP receive error: %s", exc)
                continue
            if data[:1] in (b"\r", b"\n", b"") and not data.strip(b"\r\n"):
                continue  # a CRLF keep-alive (RFC 5626 §3.5.1)
            out = handle(data, addr, "udp")
            if out is not None:
                self._send(out[0], out[1])

    def _send(self, data: bytes, dest: Address) -> None:
        if not self.backlog:
            try:
                self.sock.sendto(data, dest)
                return
            except (BlockingIOError, InterruptedError):
                self.loop.add_writer(self.sock.fileno(), self._flush)
            except OSError as exc:  # unreachable destination, message too long, ...
                log.debug("UDP send to %s failed: %s", dest, exc)
                return
        if len(self.backlog) < _UDP_BACKLOG:
            self.backlog.append((data, dest))

    def _flush(self) -> None:
        backlog = self.backlog
        while backlog:
            data, dest = backlog[0]
            try:
                self.sock.sendto(data, dest)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("UDP send to %s failed: %s", dest, exc)
            backlog.popleft()
        self.loop.remove_writer(self.sock.fileno())

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self.loop.remove_reader(self.sock.fileno())
            self.loop.remove_writer(self.sock.fileno())
            self.sock.close()
        self.backlog.clear()


class _TCPProtocol(asyncio.Protocol):
    def __init__(self, server: RegistrarServer) -> None:
        self.server = server
        self.framer = _speedups.parser.Framer(server.max_size)
        self.transport: Optional[asyncio.Transport] = None
        self.peer: Address = ("", 0)
        self.pending = bytearray()  # bytes of the message being framed, to answer a 513 from
        self.idle: Optional[asyncio.TimerHandle] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.peer = transport.get_extra_info("peername") or ("", 0)
        self.server._connections.add(self)
        self._arm()

    def _arm(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        loop = asyncio.get_running_loop()
        self.idle = loop.call_later(self.server.tcp_idle_timeout, self.close)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.transport = None
        self.server._connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.transport is None:
            return
        self._arm()
        self.pending += data
        try:
            messages = self.framer.feed(data)
        except SIPParseError as exc:
            # the stream cannot be resynchronised: answer if we can (513 / 400), then close
            self.server.stats.received += 1
            self.server.stats.bad += 1
            answer = salvage_response(bytes(self.pending[: self.server.max_size]), exc)
            if answer is not None:
                self.transport.write(bytes(answer))
            else:
                self.server.stats.dropped += 1
            self.transport.close()
            return
        for message in messages:
            out = self.server._safe_handle(message, self.peer, "tcp")
            if out is not None and self.transport is not None:
                self.transport.write(out[0])
        if messages:
            left = self.framer.buffered
            del self.pending[: len(self.pending) - left]


def describe(bound: list[Listen]) -> str:
    return ", ".join(str(b) for b in bound)
