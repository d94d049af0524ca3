"""Digest against Net::SIP (Debian libnet-sip-perl) over UDP on 127.0.0.1, both ways:
sipfast's authorize() answering a Net::SIP registrar guarded by Net::SIP::Authorize, and
Net::SIP::Simple registering with an Authenticator-backed responder."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

import sipfast
from sipfast import Request, Response
from sipfast.auth import Authenticator, AuthResult

pytestmark = pytest.mark.interop

SCRIPTS = Path(__file__).parent / "interop"
DOMAIN = "example.com"
USER, PASSWORD = "bob", "zanzibar"
TIMEOUT = 5.0  # every socket read and every wait on the Perl side


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# (a) sipfast client -> Net::SIP registrar


@pytest.fixture
def netsip_registrar(perl: str) -> Iterator[int]:
    port = free_udp_port()
    proc = subprocess.Popen(
        [perl, str(SCRIPTS / "netsip_registrar.pl"), str(port), DOMAIN, USER, PASSWORD, "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()  # the script prints READY or dies (EOF)
        if ready.strip() != "READY":
            stop(proc)
            raise AssertionError(f"registrar did not start: {ready!r} {proc.stderr.read() if proc.stderr else ''}")
        yield port
    finally:
        stop(proc)


def exchange(sock: socket.socket, request: Request, port: int) -> Response:
    sock.sendto(bytes(request), ("127.0.0.1", port))
    data, _ = sock.recvfrom(65535)
    answer = sipfast.parse(data)
    assert isinstance(answer, Response)
    return answer


def register_request(local_port: int, branch: str) -> Request:
    return Request(
        "REGISTER",
        f"sip:{DOMAIN}",
        [
            ("Via", f"SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{branch}"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{USER}@{DOMAIN}>;tag=f00d"),
            ("To", f"<sip:{USER}@{DOMAIN}>"),
            ("Call-ID", f"interop-{branch}@127.0.0.1"),
            ("CSeq", "1 REGISTER"),
            ("Contact", f"<sip:{USER}@127.0.0.1:{local_port}>"),
            ("Expires", "60"),
        ],
    )


@pytest.mark.parametrize(("password", "code"), [(PASSWORD, 200), ("wrong", 401)])
def test_sipfast_client_registers_with_netsip(backend: str, netsip_registrar: int, password: str, code: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(TIMEOUT)
        local = sock.getsockname()[1]
        request = register_request(local, f"{backend}{code}a")
        challenge = exchange(sock, request, netsip_registrar)
        assert challenge.code == 401
        assert request.authorize(challenge, (USER, password)) is True
        assert request.cseq == "2 REGISTER"
        # a retry is a new transaction: the sending layer gives it a new branch
        request.set_header("Via", f"SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{backend}{code}b")
        final = exchange(sock, request, netsip_registrar)
        assert final.code == code
        if code == 401:
            # refused again: the realm is answered already, nothing more to try
            assert request.authorize(final, (USER, password)) is False
        else:
            assert final.get_header("Contact") == f"<sip:{USER}@127.0.0.1:{local}>;expires=60"


# ---------------------------------------------------------------------------------------------
# (b) Net::SIP client -> Authenticator


class Responder(threading.Thread):
    """A UDP registrar stand-in: 200 when Authenticator.verify accepts, else a (new) challenge."""

    def __init__(self, auth: Authenticator) -> None:
        super().__init__(daemon=True)
        self.auth = auth
        self.results: list[AuthResult] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", free_udp_port()))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.error: Optional[BaseException] = None
        self._halt = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + 60
        try:
            while not self._halt.is_set() and time.monotonic() < deadline:
                try:
                    data, addr = self.sock.recvfrom(65535)
                except socket.timeout:
                    continue
                request = sipfast.parse(data)
                if not isinstance(request, Request):
                    continue
                result = self.auth.verify(request)
                self.results.append(result)
                if result.ok:
                    answer = request.create_response(200, headers={"Contact": request.get_header("Contact") or ""})
                    answer.set_header("Expires", request.get_header("Expires") or "60")
                else:
                    answer = self.auth.challenge(request, stale=result.stale)
                self.sock.sendto(bytes(answer), addr)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def close(self) -> None:
        self._halt.set()
        self.join(timeout=10)
        self.sock.close()


@pytest.fixture
def responder(backend: str) -> Iterator[Responder]:
    auth = Authenticator(DOMAIN, {USER: PASSWORD})  # offers SHA-256 then MD5; Net::SIP speaks MD5 only
    thread = Responder(auth)
    thread.start()
    try:
        yield thread
    finally:
        thread.close()


def run_netsip_register(perl: str, port: int, password: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [perl, str(SCRIPTS / "netsip_register.pl"), str(port), DOMAIN, USER, password, str(int(TIMEOUT))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT + 20)
    finally:
        stop(proc)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_netsip_client_accepted(perl: str, responder: Responder) -> None:
    done = run_netsip_register(perl, responder.port, PASSWORD)
    assert responder.error is None
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert done.stdout.split() == ["OK", "60"]
    # (a UDP retransmission on a slow machine may repeat a line; the order cannot change)
    assert responder.results[0].reason == "missing-credentials"
    assert AuthResult(True, USER, False, "ok") in responder.results


def test_netsip_client_wrong_password_refused(perl: str, responder: Responder) -> None:
    done = run_netsip_register(perl, responder.port, "not-" + PASSWORD)
    assert responder.error is None
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout.split() == ["FAIL", "code", "401"]
    reasons = [r.reason for r in responder.results]
    assert reasons[0] == "missing-credentials"
    assert set(reasons) == {"missing-credentials", "wrong-response"}
