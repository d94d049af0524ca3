"""The ``sipfast`` command: ``parse``, and ``registrar`` run as a process (start-up line, users file,
SIGTERM summary, bindings surviving SIGKILL, bad input from UDP and TCP senders)."""

from __future__ import annotations

import json
import random
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from interop_helpers import (
    START_TIMEOUT,
    STOP_TIMEOUT,
    exchange,
    exchange_tcp,
    query_contacts,
    recv_response,
    register,
    register_request,
    running_registrar,
    start_registrar,
    subprocess_env,
    summary_counts,
    summary_line,
    udp_socket,
)

import sipfast
from sipfast import Response
from sipfast.cli import UsageError, main, read_users

DOMAIN = "example.com"
MESSAGE = (
    b"OPTIONS sip:bob@example.com SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcli\r\n"
    b"f: <sip:alice@example.com>;tag=88\r\n"
    b"t: <sip:bob@example.com>\r\n"
    b"i: cli-test@192.0.2.1\r\n"
    b"CSeq: 4 OPTIONS\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: 5\r\n\r\nhello"
)


def run_cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "sipfast", *args],
        input=stdin,
        capture_output=True,
        env=subprocess_env(),
        timeout=60,
    )


# --- sipfast parse -----------------------------------------------------------------------------


def test_parse_file_shows_the_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "options.sip"
    path.write_bytes(MESSAGE)
    assert main(["parse", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "request: OPTIONS sip:bob@example.com"
    assert "  Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcli" in out  # compact names expanded
    assert "call_id: cli-test@192.0.2.1" in out
    assert "branch: z9hG4bKcli" in out
    assert out[-1] == "body: 5 octets"


def test_parse_json_from_stdin() -> None:
    done = run_cli("parse", "-", "--json", stdin=MESSAGE)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert (info["type"], info["method"], info["uri"]) == ("request", "OPTIONS", "sip:bob@example.com")
    assert info["headers"][0] == ["Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcli"]
    assert (info["call_id"], info["cseq"], info["from_tag"], info["to_tag"]) == (
        "cli-test@192.0.2.1",
        "4 OPTIONS",
        "88",
        None,
    )
    assert info["body"] == "hello"


def test_parse_response_and_binary_body(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.sip"
    path.write_bytes(b"SIP/2.0 180 Ringing\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 2\r\n\r\n\xff\x00")
    assert main(["parse", "--json", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["type"], info["code"], info["reason"]) == ("response", 180, "Ringing")
    assert info["body_base64"] == "/wA="


def test_parse_bad_input_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.sip"
    path.write_bytes(MESSAGE.replace(b"Content-Length: 5", b"Content-Length: 50"))
    assert main(["parse", str(path)]) == 1
    err = capsys.readouterr().err
    assert "bad.sip: not a valid SIP message: bad-content-length" in err
    assert main(["parse", str(tmp_path / "missing.sip")]) == 1
    assert "missing.sip" in capsys.readouterr().err


def test_parse_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lax.sip"
    path.write_bytes(MESSAGE.replace(b"CSeq: 4 OPTIONS\r\n", b"CSeq: 4 OPTIONS\r\nMax-Forwards: many\r\n"))
    assert main(["parse", str(path)]) == 0
    capsys.readouterr()
    assert main(["parse", "--strict", str(path)]) == 1
    assert "not a valid SIP message" in capsys.readouterr().err


# --- the users file ---------------------------------------------------------------------------


def test_read_users_passwords_and_htdigest(tmp_path: Path) -> None:
    path = tmp_path / "users.txt"
    path.write_text(
        "# users of example.com\n\n"
        "alice:wonderland\n"
        "  bob:pass:with:colons  \n"
        "carol:example.com:0123456789ABCDEF0123456789abcdef\n"
        "dave:other.realm:notahash\n"
    )
    assert read_users(path, "example.com") == {
        "alice": "wonderland",
        "bob": "pass:with:colons",
        "carol": {"MD5": "0123456789abcdef0123456789abcdef"},
        "dave": "other.realm:notahash",  # not an HA1: a password that has a colon
    }


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("no-colon-here", "expected 'user:password'"),
        (":nopassword-user", "expected 'user:password'"),
        ("emptypassword:", "expected 'user:password'"),
        ("two words:pw", "expected 'user:password'"),
        ("at@sign:pw", "expected 'user:password'"),
        ("erin:elsewhere.org:0123456789abcdef0123456789abcdef", "htdigest realm 'elsewhere.org'"),
    ],
)
def test_read_users_names_the_malformed_line(tmp_path: Path, line: str, why: str) -> None:
    path = tmp_path / "users.txt"
    path.write_text(f"alice:wonderland\n# comment\n{line}\nbob:builder\n")
    with pytest.raises(UsageError) as info:
        read_users(path, "example.com")
    assert str(info.value).startswith(f"{path}:3: ")
    assert why in str(info.value)


def test_read_users_empty_or_missing(tmp_path: Path) -> None:
    path = tmp_path / "users.txt"
    path.write_text("# nobody\n\n")
    with pytest.raises(UsageError, match="no users"):
        read_users(path, "example.com")
    with pytest.raises(UsageError, match="cannot read users file"):
        read_users(tmp_path / "missing.txt", "example.com")


def test_malformed_users_line_stops_start_up(tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    users.write_text("alice:wonderland\n\nthis line is wrong\n")
    done = subprocess.run(
        [sys.executable, "-m", "sipfast", "registrar", "--listen", "udp:127.0.0.1:0", "--users", str(users)],
        capture_output=True,
        cwd=tmp_path,
        env=subprocess_env(),
        timeout=START_TIMEOUT + 30,
    )
    assert done.returncode == 2
    err = done.stderr.decode()
    assert f"{users}:3: expected 'user:password' or 'user:realm:md5-ha1'" in err
    assert "listening on" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "udp:127.0.0.1"], "bad listen address"),
        (["--store", "postgres://x"], "unknown store"),
        (["--min-expires", "60", "--max-expires", "30"], "--min-expires"),
        (["--users", "USERS", "--algorithms", "ROT13"], "--algorithms"),
    ],
)
def test_bad_configuration_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "USERS").write_text("alice:wonderland\n")
    args = [a.replace("USERS", str(tmp_path / "USERS")) for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "sipfast", "registrar", "--listen", "udp:127.0.0.1:0", "--store", "memory", *args],
        capture_output=True,
        cwd=tmp_path,
        env=subprocess_env(),
        timeout=START_TIMEOUT + 30,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr.decode()


def test_port_in_use_exits_1(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "sipfast", "registrar", "--listen", f"udp:127.0.0.1:{port}", "--store", "memory"],
            capture_output=True,
            cwd=tmp_path,
            env=subprocess_env(),
            timeout=START_TIMEOUT + 30,
        )
    assert done.returncode == 1
    assert "cannot listen" in done.stderr.decode()


# --- sipfast registrar: start-up line and summary ----------------------------------------------


def test_start_up_line_names_what_was_bound(tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    users.write_text("alice:wonderland\n")
    args = ("--domain", DOMAIN, "--domain", "example.org", "--users", str(users), "--store", "memory")
    with running_registrar(tmp_path, *args) as server:
        line = next(ln for ln in server.log().splitlines() if "listening on" in ln)
        m = re.search(
            r"sipfast (\S+) registrar \((c|python) backend\) listening on udp:127\.0\.0\.1:(\d+), "
            r"tcp:127\.0\.0\.1:(\d+); store memory; digest auth; domains example\.com, example\.org$",
            line,
        )
        assert m, line
        assert m.group(1) == sipfast.__version__ and m.group(2) == ("c" if sipfast.BACKEND == "c" else "python")
        udp, tcp = int(m.group(3)), int(m.group(4))
        assert udp > 0 and tcp > 0  # the bound ports, not the 0 asked for
        # and those are the ports it serves
        with udp_socket() as sock:
            options = register_request("alice", DOMAIN, sock.getsockname())
            options.set_header("CSeq", "1 OPTIONS")
            sock.sendto(bytes(options).replace(b"REGISTER sip:", b"OPTIONS sip:", 1), ("127.0.0.1", udp))
            assert recv_response(sock)[0].code == 200
        with socket.create_connection(("127.0.0.1", tcp), timeout=5) as conn:
            conn.settimeout(5)
            request = register_request("alice", DOMAIN, conn.getsockname(), transport="TCP")
            assert exchange_tcp(conn, request).code == 401
        server.terminate()


def test_sigterm_prints_the_summary(tmp_path: Path) -> None:
    with running_registrar(tmp_path, "--domain", DOMAIN, "--store", "memory") as server:
        target = server.address("udp")
        with udp_socket() as sock:
            local = sock.getsockname()
            for user in ("ann", "ben", "cid"):
                assert exchange(sock, register_request(user, DOMAIN, local, contact=""), target).code == 200
            assert exchange(sock, register_request("dan", "example.org", local, contact=""), target).code == 404
            options = register_request("ann", DOMAIN, local)
            options.set_header("CSeq", "1 OPTIONS")
            sock.sendto(bytes(options).replace(b"REGISTER sip:", b"OPTIONS sip:", 1), target)
            assert recv_response(sock)[0].code == 200
            sock.sendto(b"\x00\x01 not SIP at all", target)
            # the garbage got no answer; this request's answer is the next datagram
            again = register_request("ann", DOMAIN, local)
            assert exchange(sock, again, target).code == 200
        log = server.terminate()
    assert summary_line(log) == (
        "4 registrations accepted, 1 rejected, 0 challenged, 1 bad messages (1 dropped), 1 other requests, "
        "0 retransmissions answered"
    )


def test_sigint_stops_cleanly_too(tmp_path: Path) -> None:
    with running_registrar(tmp_path, "--store", "memory") as server:
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(timeout=STOP_TIMEOUT) == 0
        assert "stopped: 0 registrations accepted" in server.log()


def test_sigterm_with_a_tcp_client_connected(tmp_path: Path) -> None:
    with (
        running_registrar(tmp_path, "--store", "memory") as server,
        socket.create_connection(server.address("tcp"), timeout=5) as conn,
    ):
        conn.settimeout(5)
        assert exchange_tcp(conn, register_request("ann", DOMAIN, conn.getsockname(), transport="TCP")).code == 200
        # the connection stays open (idle timeout 120 s): SIGTERM must not wait for it
        log = server.terminate()
        assert conn.recv(100) == b""
    assert summary_counts(log)["accepted"] == 1


# --- bindings survive SIGKILL (the default store: SQLite in the working directory) ---------------


def test_bindings_survive_sigkill(tmp_path: Path) -> None:
    users = [f"user{i:02d}" for i in range(50)]
    ports: dict[str, int] = {}
    server = start_registrar(tmp_path, "--domain", DOMAIN)
    try:
        target = server.address("udp")
        with udp_socket() as sock:
            local = sock.getsockname()
            for i, user in enumerate(users):
                contact = f"<sip:{user}@127.0.0.1:{20000 + i}>"
                resp = exchange(sock, register_request(user, DOMAIN, local, contact=contact, expires=300), target)
                assert resp.code == 200, bytes(resp)
                ports[user] = 20000 + i
    finally:
        server.kill()  # SIGKILL: nothing runs in the process after its last 200
    assert server.proc.returncode == -signal.SIGKILL
    assert (tmp_path / "sipfast-registrar.db").exists()

    with running_registrar(tmp_path, "--domain", DOMAIN) as again:
        assert "store sqlite:sipfast-registrar.db" in again.log()
        for user in users:
            contacts = query_contacts(again.address("udp"), user, DOMAIN)
            assert len(contacts) == 1, (user, contacts)
            uri, _, expires = contacts[0].partition(";expires=")
            assert uri == f"<sip:{user}@127.0.0.1:{ports[user]}>"
            assert 0 < int(expires) <= 300
        assert query_contacts(again.address("udp"), "nobody", DOMAIN) == []


# --- bad input from senders: the registrar stays up and counts it ------------------------------


def junk(rng: random.Random) -> bytes:
    """Random bytes that cannot start a SIP message (the first is a control byte or over 0x7f)."""
    first = rng.choice([*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x80, 0x100)])
    return bytes([first]) + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))


def test_garbage_interleaved_with_registers(tmp_path: Path) -> None:
    rng = random.Random(3261)
    answered_to_garbage: list[Response] = []
    certain_bad = 0  # junk, and REGISTERs cut inside their start line: must be counted as bad
    valid = 0
    with running_registrar(tmp_path, "--domain", DOMAIN, "--store", "memory") as server:
        target = server.address("udp")
        with udp_socket() as sock:
            local = sock.getsockname()
            for i in range(60):
                template = bytes(register_request(f"g{i}", DOMAIN, local, contact=""))
                kind = i % 3
                if kind == 0:
                    bad = junk(rng)
                    certain_bad += 1
                elif kind == 1:
                    bad = template[: rng.randrange(1, template.index(b"\r\n"))]
                    certain_bad += 1
                else:
                    bad = template[: rng.randrange(template.index(b"\r\n"), len(template) - 4)]
                sock.sendto(bad, target)
                request = register_request(f"user{i}", DOMAIN, local, contact="")
                sock.sendto(bytes(request), target)
                valid += 1
                # the server answers in order: whatever comes before the valid one's 200 is the
                # answer to the bad one
                while True:
                    resp, _ = recv_response(sock)
                    if resp.call_id == request.call_id:
                        assert resp.code == 200, bytes(resp)
                        break
                    # (a cut REGISTER may have lost all or part of its Call-ID)
                    assert str(sipfast.parse(template).call_id).startswith(resp.call_id or "")
                    answered_to_garbage.append(resp)

        # over TCP: junk framed as a message is dropped and the connection kept; a bad
        # Content-Length cannot be resynchronised, so that connection is answered and closed
        tcp = server.address("tcp")
        with socket.create_connection(tcp, timeout=5) as conn:
            conn.settimeout(5)
            local = conn.getsockname()
            for i in range(5):
                conn.sendall(junk(rng).replace(b"\r\n\r\n", b"") + b"\r\n\r\n")
                certain_bad += 1
                request = register_request(f"tcp{i}", DOMAIN, local, transport="TCP", contact="")
                assert exchange_tcp(conn, request).code == 200
                valid += 1
            broken = register_request("tcpx", DOMAIN, local, transport="TCP", contact="")
            conn.sendall(bytes(broken).replace(b"Content-Length: 0", b"Content-Length: -1"))
            certain_bad += 1
            framer = sipfast.Framer()
            got = []
            while True:
                data = conn.recv(65535)
                if not data:
                    break
                got += framer.feed(data)
        assert len(got) == 1
        resp = sipfast.parse(got[0])
        assert isinstance(resp, Response) and resp.code == 400 and resp.call_id == broken.call_id
        answered_to_garbage.append(resp)
        with socket.create_connection(tcp, timeout=5) as conn:
            conn.settimeout(5)
            request = register_request("tcp-after", DOMAIN, conn.getsockname(), transport="TCP", contact="")
            assert exchange_tcp(conn, request).code == 200
            valid += 1

        with udp_socket() as sock:  # every valid REGISTER left its binding
            for i in range(0, 60, 7):
                assert exchange(sock, register_request(f"user{i}", DOMAIN, sock.getsockname()), target).code == 200
                valid += 1
        counts = summary_counts(server.terminate())

    assert counts["bad"] >= certain_bad and counts["dropped"] >= certain_bad - 1  # all junk, bar the 400
    garbage_ok = sum(1 for r in answered_to_garbage if r.code == 200)  # a cut REGISTER can be a query
    assert counts["accepted"] == valid + garbage_ok
    # every answer to a bad message is counted once: a registrar refusal or a salvaged 400
    assert counts["rejected"] + counts["bad"] - counts["dropped"] == len(answered_to_garbage) - garbage_ok
    assert counts["challenged"] == counts["other"] == 0


def test_register_with_auth_over_the_command(tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    users.write_text("alice:wonderland\n")
    with running_registrar(tmp_path, "--domain", DOMAIN, "--users", str(users), "--store", "memory") as server:
        with udp_socket() as sock:
            local = sock.getsockname()
            target = server.address("udp")
            for password, code in (("nope", 401), ("wonderland", 200)):
                request = register_request("alice", DOMAIN, local, contact="")
                assert register(sock, request, target, password).code == code
        counts = summary_counts(server.terminate())
    assert (counts["accepted"], counts["challenged"]) == (1, 3)
