"""Helpers for the tests that run ``sipfast registrar`` as a process and talk to it over loopback.

``running_registrar(workdir, *args)`` starts ``python -m sipfast registrar`` on free ports (port 0:
the start-up log line says what was bound), waits for that line, and kills the process when the
block ends, whatever happened. ``register_request`` / ``exchange`` / ``query_contacts`` speak SIP to
it from plain sockets with sipfast's own message classes.
"""

from __future__ import annotations

import os
import re
import signal
import site
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Optional, Union

import sipfast
from sipfast import Request, Response
from sipfast.server import Listen, parse_listen

START_TIMEOUT = 20.0  # seconds for the registrar's start-up line
STOP_TIMEOUT = 10.0  # seconds for the process to end after a signal
IO_TIMEOUT = 5.0  # seconds for any one answer
DEFAULT_LISTEN = ("udp:127.0.0.1:0", "tcp:127.0.0.1:0")

_STARTED = re.compile(r"listening on (?P<bound>.+?); store")
_serial = count(1)
Address = tuple[str, int]


def free_port(kind: int = socket.SOCK_DGRAM, host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (it may be taken again before it is used)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _package_parent() -> Optional[str]:
    """Where the sipfast these tests import lives, unless it is an installed one (a site-packages
    directory, on every interpreter's path already: putting it first could shadow the stdlib)."""
    parent = Path(sipfast.__file__).resolve().parent.parent
    installed = {Path(p).resolve() for p in [*site.getsitepackages(), site.getusersitepackages()]}
    return None if parent in installed else str(parent)


def subprocess_env(pure_python: bool = False) -> dict[str, str]:
    """The environment for ``python -m sipfast``: the process runs the sipfast these tests import
    (a checkout built in place, or the installed package)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_parent(), env.get("PYTHONPATH", "")) if p)
    env.pop("SIPFAST_PURE_PYTHON", None)
    if pure_python:
        env["SIPFAST_PURE_PYTHON"] = "1"
    return env


class RegistrarProcess:
    """A running ``python -m sipfast registrar``; its stdout and stderr go to ``log_path``."""

    def __init__(self, proc: subprocess.Popen[bytes], log_path: Path) -> None:
        self.proc = proc
        self.log_path = log_path
        self.bound: list[Listen] = []

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_started(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _STARTED.search(self.log())
            if found:
                self.bound = [parse_listen(s) for s in found.group("bound").split(", ")]
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"the registrar exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.02)
        raise AssertionError(f"no start-up line within {timeout} s:\n{self.log()}")

    def address(self, transport: str = "udp") -> Address:
        """(host, port) of the first listening address of that transport."""
        for b in self.bound:
            if b.transport == transport:
                return b.host, b.port
        raise AssertionError(f"not listening on {transport}: {self.bound}")

    def terminate(self) -> str:
        """SIGTERM; the process must end cleanly within STOP_TIMEOUT. Returns its whole log."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=STOP_TIMEOUT)
        assert code == 0, f"exit status {code}:\n{self.log()}"
        return self.log()

    def kill(self) -> None:
        """SIGKILL (no clean-up in the process), then reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=STOP_TIMEOUT)


def start_registrar(
    workdir: Path,
    *args: str,
    listen: Sequence[str] = DEFAULT_LISTEN,
    pure_python: bool = False,
) -> RegistrarProcess:
    """Start ``python -m sipfast registrar --listen ... *args`` in ``workdir`` and wait for its
    start-up line. The caller kills it (``running_registrar`` does)."""
    cmd = [sys.executable, "-m", "sipfast", "registrar"]
    for spec in listen:
        cmd += ["--listen", spec]
    cmd += list(args)
    log_path = workdir / f"registrar-{next(_serial)}.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, env=subprocess_env(pure_python))
    server = RegistrarProcess(proc, log_path)
    try:
        server.wait_started()
    except BaseException:
        server.kill()
        raise
    return server


@contextmanager
def running_registrar(
    workdir: Path, *args: str, listen: Sequence[str] = DEFAULT_LISTEN, pure_python: bool = False
) -> Iterator[RegistrarProcess]:
    """``start_registrar`` for the length of a block; the process is killed when the block ends."""
    server = start_registrar(workdir, *args, listen=listen, pure_python=pure_python)
    try:
        yield server
    finally:
        server.kill()


def summary_line(log: str) -> str:
    """The text after "stopped: " in a registrar log (the SIGTERM summary)."""
    lines = [ln for ln in log.splitlines() if "stopped: " in ln]
    assert lines, f"no summary line in:\n{log}"
    return lines[-1].split("stopped: ", 1)[1]


def summary_counts(log: str) -> dict[str, int]:
    """The SIGTERM summary as numbers: accepted, rejected, challenged, bad, dropped, other,
    retransmissions."""
    text = summary_line(log)
    m = re.fullmatch(
        r"(\d+) registrations accepted, (\d+) rejected, (\d+) challenged, (\d+) bad messages "
        r"\((\d+) dropped\), (\d+) other requests, (\d+) retransmissions answered",
        text,
    )
    assert m, f"unexpected summary: {text!r}"
    names = ("accepted", "rejected", "challenged", "bad", "dropped", "other", "retransmissions")
    return dict(zip(names, (int(g) for g in m.groups())))


# --- SIP from plain sockets ---------------------------------------------------------------------


def new_branch() -> str:
    return f"z9hG4bK-t{os.getpid()}-{next(_serial)}"


def register_request(
    user: str,
    domain: str,
    local: Address,
    *,
    transport: str = "UDP",
    contact: Optional[str] = None,
    call_id: Optional[str] = None,
    cseq: int = 1,
    expires: Optional[int] = None,
    rport: bool = False,
) -> Request:
    """A REGISTER of sip:user@domain from ``local``; ``contact=None`` binds nothing (a query),
    ``contact=""`` binds sip:user@local."""
    host, port = local[0], local[1]
    sent_by = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    via = f"SIP/2.0/{transport} {sent_by};branch={new_branch()}" + (";rport" if rport else "")
    headers = [
        ("Via", via),
        ("Max-Forwards", "70"),
        ("From", f"<sip:{user}@{domain}>;tag=t{next(_serial)}"),
        ("To", f"<sip:{user}@{domain}>"),
        ("Call-ID", call_id or f"call-{os.getpid()}-{next(_serial)}@{host}"),
        ("CSeq", f"{cseq} REGISTER"),
    ]
    if contact is not None:
        headers.append(("Contact", contact or f"<sip:{user}@{sent_by}>"))
    if expires is not None:
        headers.append(("Expires", str(expires)))
    return Request("REGISTER", f"sip:{domain}", headers)


def udp_socket(host: str = "127.0.0.1") -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.settimeout(IO_TIMEOUT)
    return sock


def recv_response(sock: socket.socket) -> tuple[Response, tuple[str, int]]:
    """The next datagram on ``sock``, which must be a SIP response (socket timeout: IO_TIMEOUT)."""
    data, addr = sock.recvfrom(65535)
    msg = sipfast.parse(data)
    assert isinstance(msg, Response), data
    return msg, addr


def exchange(sock: socket.socket, request: Request, server: Address) -> Response:
    """Send a request over UDP and return the answer."""
    sock.sendto(bytes(request), server)
    answer, _ = recv_response(sock)
    assert answer.call_id == request.call_id, (bytes(request), bytes(answer))
    return answer


def exchange_tcp(sock: socket.socket, request: Request) -> Response:
    """Send a request on a connected TCP socket and read one framed answer."""
    sock.sendall(bytes(request))
    framer = sipfast.Framer()
    deadline = time.monotonic() + IO_TIMEOUT
    while time.monotonic() < deadline:
        data = sock.recv(65535)
        assert data, "the server closed the connection"
        whole = framer.feed(data)
        if whole:
            msg = sipfast.parse(whole[0])
            assert isinstance(msg, Response), whole[0]
            return msg
    raise AssertionError("no whole answer in time")


def register(sock: socket.socket, request: Request, server: Address, password: Union[str, None] = None) -> Response:
    """Send a REGISTER over UDP, answering one challenge with (To user, password); the final
    answer. The retry is a new transaction (a new branch) with the next CSeq."""
    answer = exchange(sock, request, server)
    if answer.code in (401, 407) and password is not None:
        user = request.get_header("To")
        assert user is not None
        name = sipfast.parse_name_addr(user).uri.user
        assert request.authorize(answer, (name, password)), bytes(answer)
        vias = request.get_headers("Via")
        request.set_header("Via", [re.sub(r"branch=[^;]+", f"branch={new_branch()}", vias[0]), *vias[1:]])
        answer = exchange(sock, request, server)
    return answer


def query_contacts(
    server: Address, user: str, domain: str, password: Optional[str] = None, host: str = "127.0.0.1"
) -> list[str]:
    """The Contact values (``<uri>;expires=N``...) the registrar holds for sip:user@domain, from a
    REGISTER without Contact over UDP (RFC 3261 §10.2.3), authenticated when a password is given."""
    with udp_socket(host) as sock:
        request = register_request(user, domain, sock.getsockname())
        answer = register(sock, request, server, password)
    assert answer.code == 200, bytes(answer)
    return answer.get_headers("Contact")
