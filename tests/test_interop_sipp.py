"""sipp (Debian sip-tester) registers many users with ``sipfast registrar``, over UDP and over TCP.

The scenario sends a REGISTER, takes the 401, and sends it again with Digest credentials computed
by sipp (``[authentication]``); the call succeeds on the 200. The users come from an injection
file; the registrar knows half of them by password and half by an Apache htdigest line (HA1). After
the run every user's binding is read back over SIP (a REGISTER without Contact).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import need_program
from interop_helpers import free_port, query_contacts, running_registrar, summary_counts

import sipfast

pytestmark = pytest.mark.interop

SIPP_DIR = Path(__file__).parent / "interop" / "sipp"
USERS_CSV = SIPP_DIR / "users.csv"
DOMAIN = "example.com"
SIPP_TIMEOUT = 60  # seconds for a whole sipp run


def load_users() -> list[tuple[str, str]]:
    lines = USERS_CSV.read_text().splitlines()
    assert lines[0] == "SEQUENTIAL"
    users = []
    for line in lines[1:]:
        user, password, domain = line.split(";")
        assert domain == DOMAIN
        users.append((user, password))
    return users


USERS = load_users()


def write_users_file(path: Path, realm: str) -> Path:
    """Even users as ``user:password``, odd ones as htdigest ``user:realm:MD5(user:realm:password)``."""
    lines = ["# sipp users"]
    for i, (user, password) in enumerate(USERS):
        if i % 2:
            ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
            lines.append(f"{user}:{realm}:{ha1}")
        else:
            lines.append(f"{user}:{password}")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class SippRun:
    returncode: int
    successful: int
    failed: int
    local_port: int
    errors: str


def run_sipp(sipp: str, workdir: Path, scenario: str, server: tuple[str, int], transport: str) -> SippRun:
    """One call per user of the injection file, at up to 500 calls per second."""
    port = free_port()
    stats = workdir / f"sipp-{transport}.csv"
    errors = workdir / f"sipp-{transport}-errors.log"
    cmd = [
        sipp, f"{server[0]}:{server[1]}", "-sf", str(SIPP_DIR / scenario), "-inf", str(USERS_CSV),
        "-t", transport, "-i", "127.0.0.1", "-p", str(port), "-cp", str(free_port()),
        "-m", str(len(USERS)), "-r", "500", "-rp", "1000",
        # the digest uri must be the Request-URI, sip:example.com (sipp writes the "sip:")
        "-auth_uri", DOMAIN,
        "-default_behaviors", "all,-bye", "-nostdin", "-timeout", f"{SIPP_TIMEOUT - 10}s",
        "-trace_stat", "-stf", str(stats), "-trace_err", "-error_file", str(errors),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, stderr = proc.communicate(timeout=SIPP_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert stats.exists(), stderr.decode(errors="replace")
    rows = [ln.split(";") for ln in stats.read_text().splitlines() if ln.strip()]
    col = {name: i for i, name in enumerate(rows[0])}
    last = rows[-1]
    return SippRun(
        proc.returncode,
        int(last[col["SuccessfulCall(C)"]]),
        int(last[col["FailedCall(C)"]]),
        port,
        errors.read_text(errors="replace")[:4000] if errors.exists() else stderr.decode(errors="replace"),
    )


@pytest.fixture(scope="module")
def sipp() -> str:
    return need_program("sipp")


@pytest.mark.parametrize("twin", ["c", "py"])
@pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])
def test_sipp_registers_every_user_with_digest(sipp: str, tmp_path: Path, transport: str, twin: str) -> None:
    users_file = write_users_file(tmp_path / "users.txt", DOMAIN)
    with running_registrar(
        tmp_path,
        "--domain", DOMAIN, "--users", str(users_file), "--algorithms", "MD5",
        "--store", f"sqlite:{tmp_path / 'bindings.db'}",
        pure_python=twin == "py",
    ) as server:  # fmt: skip
        # the process runs the twin asked for (the C one if this sipfast has it built)
        expected = "c" if twin == "c" and sipfast.BACKEND == "c" else "python"
        assert f"({expected} backend)" in server.log()
        target = server.address("udp" if transport == "u1" else "tcp")
        run = run_sipp(sipp, tmp_path, "register_auth.xml", target, transport)
        assert run.returncode == 0, run.errors
        assert (run.successful, run.failed) == (len(USERS), 0), run.errors

        # every binding is there, pointing at sipp's socket, with the transport sipp wrote
        name = "UDP" if transport == "u1" else "TCP"
        for user, password in USERS:
            contacts = query_contacts(server.address("udp"), user, DOMAIN, password)
            assert len(contacts) == 1, (user, contacts)
            m = re.fullmatch(r"<(.*)>;expires=(\d+)", contacts[0])
            assert m, contacts
            assert m.group(1) == f"sip:{user}@127.0.0.1:{run.local_port};transport={name}"
            assert 0 < int(m.group(2)) <= 300
        counts = summary_counts(server.terminate())
    # sipp: one challenge and one 200 per user; the queries above: as many again
    assert counts["accepted"] == 2 * len(USERS)
    assert counts["challenged"] == 2 * len(USERS)
    assert counts["rejected"] == counts["bad"] == 0


def test_sipp_registers_without_auth(sipp: str, tmp_path: Path) -> None:
    with running_registrar(tmp_path, "--domain", DOMAIN, "--store", "memory") as server:
        run = run_sipp(sipp, tmp_path, "register.xml", server.address("udp"), "u1")
        assert run.returncode == 0, run.errors
        assert (run.successful, run.failed) == (len(USERS), 0), run.errors
        for user, _ in USERS[:: len(USERS) // 10]:
            contacts = query_contacts(server.address("udp"), user, DOMAIN)
            assert [c.split(";expires=")[0] for c in contacts] == [
                f"<sip:{user}@127.0.0.1:{run.local_port};transport=UDP>"
            ]
        counts = summary_counts(server.terminate())
    assert counts["accepted"] == len(USERS) + 10
    assert counts["challenged"] == counts["rejected"] == counts["bad"] == 0
