"""README's two commands: the test command is what CI runs, and the main job — the registrar as the
README starts it — registers users of sipp with digest auth."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import need_program
from interop_helpers import free_port, running_registrar, summary_counts

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
SCENARIO = ROOT / "tests" / "interop" / "sipp" / "register_auth.xml"


def sh_blocks() -> list[list[str]]:
    return [block.strip().splitlines() for block in re.findall(r"```sh\n(.*?)```", README, re.S)]


def test_readme_commands_are_what_ci_runs() -> None:
    main, tests = sh_blocks()[:2]
    assert len(main) == 1 and main[0].startswith("pip install . && sipfast registrar")
    assert len(tests) == 1 and tests[0].startswith("pip install ")
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests[0] in ci.splitlines(), "CI must run README's test command as written"


def demo_users() -> list[tuple[str, str]]:
    users = []
    for line in (ROOT / "examples" / "users.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            user, _, password = line.partition(":")
            users.append((user, password))
    return users


@pytest.mark.interop
def test_readme_registrar_serves_sipp_with_auth(tmp_path: Path) -> None:
    sipp = need_program("sipp")
    command = shlex.split(sh_blocks()[0][0].split("&&", 1)[1])
    assert command[:2] == ["sipfast", "registrar"]
    # the README runs from a checkout: give the process the files it names, in its own folder
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    users = demo_users()
    csv = tmp_path / "users.csv"
    csv.write_text("SEQUENTIAL\n" + "".join(f"{u};{p};example.com\n" for u, p in users))
    with running_registrar(tmp_path, *command[2:]) as server:
        host, port = server.address("udp")
        stats = tmp_path / "stats.csv"
        cmd = [
            sipp, f"{host}:{port}", "-sf", str(SCENARIO), "-inf", str(csv), "-t", "u1",
            "-i", "127.0.0.1", "-p", str(free_port()), "-cp", str(free_port()), "-m", str(len(users)),
            "-auth_uri", "example.com", "-default_behaviors", "all,-bye", "-nostdin", "-timeout", "30s",
            "-trace_stat", "-stf", str(stats),
        ]  # fmt: skip
        proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=45)
        rows = [ln.split(";") for ln in stats.read_text().splitlines() if ln.strip()]
        col = {name: i for i, name in enumerate(rows[0])}
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert int(rows[-1][col["SuccessfulCall(C)"]]) == len(users)
        assert int(rows[-1][col["FailedCall(C)"]]) == 0
        counts = summary_counts(server.terminate())
    assert counts["accepted"] == counts["challenged"] == len(users)
    # the embedded SQLite default kept the bindings in the working folder
    assert (tmp_path / "sipfast-registrar.db").exists()
