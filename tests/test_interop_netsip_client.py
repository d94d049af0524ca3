"""Net::SIP (Debian libnet-sip-perl) as a client of ``sipfast registrar`` over UDP.

``Net::SIP::Simple->register`` with a password: registered with the right one (the binding is
then read back with a REGISTER without Contact sent from Python), refused with a wrong one.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from interop_helpers import query_contacts, running_registrar, summary_counts

pytestmark = pytest.mark.interop

SCRIPT = Path(__file__).parent / "interop" / "netsip_client_register.pl"
DOMAIN = "example.com"
USER, PASSWORD = "carol", "n0t-So-secret"
PERL_SECONDS = 5  # Net::SIP's own wait for a final answer


def netsip_register(perl: str, server: tuple[str, int], password: str, expires: int = 120) -> tuple[int, str]:
    cmd = [perl, str(SCRIPT), server[0], str(server[1]), DOMAIN, USER, password, str(expires), str(PERL_SECONDS)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=PERL_SECONDS + 25)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out.strip()


def users_file(path: Path, form: str) -> Path:
    if form == "htdigest":
        ha1 = hashlib.md5(f"{USER}:{DOMAIN}:{PASSWORD}".encode()).hexdigest()
        path.write_text(f"{USER}:{DOMAIN}:{ha1}\n")
    else:
        path.write_text(f"# one user\n\n{USER}:{PASSWORD}\n")
    return path


CASES = [("SHA-256,MD5", "password"), ("MD5", "password"), ("MD5", "htdigest")]


@pytest.mark.parametrize(("algorithms", "form"), CASES)
def test_netsip_registers_with_the_right_password(perl: str, tmp_path: Path, algorithms: str, form: str) -> None:
    users = users_file(tmp_path / "users.txt", form)
    # no --store: the default SQLite file in the working directory
    with running_registrar(tmp_path, "--domain", DOMAIN, "--users", str(users), "--algorithms", algorithms) as server:
        code, out = netsip_register(perl, server.address("udp"), PASSWORD)
        assert code == 0, out + server.log()
        m = re.fullmatch(r"OK (\d+) (sip:\S+)", out)
        assert m, out
        assert m.group(1) == "120"
        contact = m.group(2)
        assert contact.startswith(f"sip:{USER}@127.0.0.1:")

        found = query_contacts(server.address("udp"), USER, DOMAIN, PASSWORD)
        assert len(found) == 1, found
        uri, _, expires = found[0].partition(";expires=")
        assert uri == f"<{contact}>"
        assert 0 < int(expires) <= 120
        counts = summary_counts(server.terminate())
    assert (tmp_path / "sipfast-registrar.db").exists()
    assert counts["accepted"] == 2  # Net::SIP's REGISTER and the query
    assert counts["rejected"] == counts["bad"] == 0


def test_netsip_refused_with_a_wrong_password(perl: str, tmp_path: Path) -> None:
    users = users_file(tmp_path / "users.txt", "password")
    with running_registrar(tmp_path, "--domain", DOMAIN, "--users", str(users), "--store", "memory") as server:
        code, out = netsip_register(perl, server.address("udp"), "wrong-" + PASSWORD)
        assert code == 1, out
        assert out == "FAIL 401"
        # nothing was bound
        assert query_contacts(server.address("udp"), USER, DOMAIN, PASSWORD) == []
        counts = summary_counts(server.terminate())
    assert counts["accepted"] == 1  # the query only
    assert counts["challenged"] >= 2  # Net::SIP's first REGISTER, its refused answer, the query's
