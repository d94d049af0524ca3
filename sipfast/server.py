"""asyncio UDP and TCP transports that feed a Registrar.

``RegistrarServer.handle(data, addr)`` is the whole protocol (bytes in, bytes and a destination
out); the transports only move bytes. UDP: one datagram, one message, answered per RFC 3261
§18.2.2 / RFC 3581 (``received`` / ``rport``). TCP: messages framed by Content-Length, answered on
the same connection, idle connections closed, a message over the size limit answered with 513 and
its connection closed. A request that does not parse gets 400 when its Via, From, To, Call-ID and
CSeq can still be read, and is otherwise dropped and counted; no sender can stop the loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from dataclasses import dataclass, field
from typing import Any, Optional

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
    errors: int = 0  # failures inside the server (logged)

    def summary(self) -> str:
        return (
            f"{self.accepted} registrations accepted, {self.rejected} rejected, {self.challenged} challenged, "
            f"{self.bad} bad messages ({self.dropped} dropped), {self.other} other requests"
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
    headers = [("Via", v) for v in found.vias] + [(n, found.fields[n]) for n in _SALVAGE_NEEDS]
    status = error.status if 400 <= error.status <= 699 else 400
    reason = f"{'Bad Request' if status == 400 else Response(status).reason} ({error.reason})"
    try:
        return Response(status, reason, headers)
    except ValueError:
        return None


_RPORT = re.compile(r";[ \t]*rport(?=[ \t]*(?:;|$))", re.I)


def _udp_destination(request: Request, response: Response, addr: Address) -> Address:
    """Where a UDP response goes (RFC 3261 §18.2.2 with RFC 3581), setting received / rport on
    the response's top Via when the source differs from what the Via says."""
    src_host, src_port = addr[0], addr[1]
    top = request.get_header("Via")
    if top is None:
        return addr
    try:
        via = _speedups.parser.parse_via(top)
    except SIPParseError:
        return addr
    host = via.host.strip("[]").lower()
    params = via.params
    patched = top
    if host != src_host.lower() and "received" not in params:
        patched += f";received={src_host}"
    if "rport" in params and not params["rport"]:
        patched = _RPORT.sub(f";rport={src_port}", patched, count=1)
        dest: Address = (src_host, src_port)
    else:
        dest = (params.get("received") or src_host, via.port or 5060)
    if patched is not top:
        vias = response.get_headers("Via")
        if vias:
            vias[0] = patched
            response.set_header("Via", vias)
    if len(addr) > 2:  # IPv6 flowinfo / scope id
        dest = (dest[0], dest[1], *addr[2:])
    return dest


class RegistrarServer:
    """Serves a Registrar over UDP and TCP (IPv4 and IPv6).

    ``await server.start([parse_listen("udp:127.0.0.1:5060"), ...])``, then ``await server.close()``.
    """

    def __init__(self, registrar: Registrar, max_size: int = 65536, tcp_idle_timeout: float = 120.0) -> None:
        self.registrar = registrar
        self.max_size = max_size
        self.tcp_idle_timeout = tcp_idle_timeout
        self.stats = ServerStats()
        self._transports: list[asyncio.BaseTransport] = []
        self._servers: list[asyncio.AbstractServer] = []
        self.bound: list[Listen] = []

    # --- the protocol, without I/O -------------------------------------------------------------

    def handle(self, data: bytes, addr: Address, transport: str = "udp") -> Optional[tuple[bytes, Address]]:
        """One message in; the bytes to send back and where (None: nothing to send)."""
        stats = self.stats
        stats.received += 1
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
        except SIPParseError as exc:  # a header read structurally was broken
            stats.bad += 1
            answer = salvage_response(data, exc)
            if answer is None:
                stats.dropped += 1
                return None
            return bytes(answer), addr
        if response is None:
            return None
        dest = _udp_destination(msg, response, addr) if transport == "udp" else addr
        return bytes(response), dest

    def _respond(self, request: Request, addr: Address) -> Optional[Response]:
        method = request.method
        stats = self.stats
        if method == "REGISTER":
            response = self.registrar.receive(request, addr)
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
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _UDPProtocol(self), local_addr=(spec.host, spec.port), family=family
                )
                self._transports.append(transport)
                sock = transport.get_extra_info("socket")
                _grow_buffers(sock)
                port = sock.getsockname()[1]
            else:
                server = await loop.create_server(
                    lambda: _TCPProtocol(self), host=spec.host, port=spec.port, family=family, reuse_address=True
                )
                self._servers.append(server)
                port = server.sockets[0].getsockname()[1]
            self.bound.append(Listen(spec.transport, spec.host, port))

    async def close(self) -> None:
        for transport in self._transports:
            transport.close()
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()
        self._transports.clear()
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


class _UDPProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: RegistrarServer) -> None:
        self.server = server
        self.transport: Optional[asyncio.DatagramTransport] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if not data.strip(b"\r\n"):
            return  # a CRLF keep-alive (RFC 5626 §3.5.1)
        out = self.server._safe_handle(data, addr, "udp")
        if out is not None and self.transport is not None:
            self.transport.sendto(out[0], out[1])

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error: %s", exc)


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
        self._arm()

    def _arm(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        loop = asyncio.get_running_loop()
        self.idle = loop.call_later(self.server.tcp_idle_timeout, self._close)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.transport = None

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

