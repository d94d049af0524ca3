"""Load test of ``sipfast registrar`` over UDP with sipp: the highest REGISTER rate with no failed call.

For each mode (without auth, then with Digest auth: ``--users FILE --algorithms MD5``, so a call is
two transactions: REGISTER, 401, REGISTER with credentials, 200) and each rate in ``--rates``, a
fresh ``python -m sipfast registrar`` (its default SQLite store, in a temporary directory) is
driven by sipp at that fixed rate for ``--seconds`` seconds, many distinct users taken in turn from
an injection file. Each step prints the calls that succeeded and failed, how long sipp ran, the CPU
time per call of the server and of sipp, and the server's SIGTERM summary line. A step is held when
no call failed and sipp finished on time (a server that falls behind is carried by retransmissions
for a while, at a lower rate than asked); a mode stops at its first step not held. The figure is
the highest rate held, per mode.

    python benchmarks/registrar_load.py                         # both modes, the default rates
    python benchmarks/registrar_load.py --auth yes --rates 4000 --seconds 20
    python benchmarks/registrar_load.py --py-spy /tmp/spy       # a py-spy profile of each step

The server is this checkout's sipfast (build it in place first: ``python setup.py build_ext
--inplace``). sipp and the server share the machine's cores; other load on the machine lowers the
figures, so compare the CPU time per call as well.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "interop" / "sipp"
DOMAIN = "example.com"
DEFAULT_RATES = "1000,2000,4000,6000,8000,10000,12000,16000,20000,24000,28000,32000"
READY = re.compile(r"listening on (?P<bound>\S+?)[;,]")
START_TIMEOUT = 15.0


@dataclass
class Step:
    rate: int
    calls: int
    succeeded: int
    failed: int
    wall: float  # seconds from sipp's start to its exit
    cpu_us: float  # server CPU (user + system) per call
    sipp_cpu_us: float  # sipp's CPU per call
    summary: str  # the server's SIGTERM line

    def held(self, seconds: float) -> bool:
        """Every call succeeded, and the last one no later than a little after the step's end
        (a server that falls behind is rescued by sipp's retransmissions for a while, at a
        lower rate than asked)."""
        on_time = self.wall <= seconds + max(2.0, 0.2 * seconds)
        return self.failed == 0 and self.succeeded == self.calls and on_time


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_users(directory: Path, count: int) -> tuple[Path, Path]:
    """The registrar's users file and sipp's injection file (user;password;domain), same users."""
    users = directory / "users.txt"
    inject = directory / "users.csv"
    with users.open("w") as u, inject.open("w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(count):
            name, password = f"load{i:06d}", f"pw-{i:06d}"
            u.write(f"{name}:{password}\n")
            f.write(f"{name};{password};{DOMAIN}\n")
    return users, inject


def start_server(workdir: Path, auth: bool, users: Path, store: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    log = workdir / "server.log"
    args = [sys.executable, "-m", "sipfast", "registrar", "--listen", "udp:127.0.0.1:0", "--domain", DOMAIN]
    if store != "default":
        args += ["--store", store]
    if auth:
        args += ["--users", str(users), "--algorithms", "MD5"]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        m = READY.search(log.read_text(errors="replace"))
        if m:
            return proc, int(m.group("bound").rsplit(":", 1)[1]), log
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"the registrar did not start:\n{log.read_text(errors='replace')}")


def cpu_seconds(pid: int) -> float:
    """CPU time a running process has used so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_server(proc: subprocess.Popen[bytes], log: Path) -> tuple[float, str]:
    """SIGTERM, then (CPU seconds used in all, the summary line)."""
    proc.send_signal(signal.SIGTERM)
    cpu = 0.0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
            break
        time.sleep(0.05)
    else:
        proc.kill()
        proc.wait()
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if "stopped:" in ln]
    return cpu, lines[-1].split("stopped: ", 1)[1] if lines else "(no summary)"


def read_stats(path: Path) -> tuple[int, int]:
    """(successful calls, failed calls) from sipp's -stf file, last row."""
    rows = [ln.split(";") for ln in path.read_text().splitlines() if ln.strip()]
    head, last = rows[0], rows[-1]
    col = {name: i for i, name in enumerate(head)}
    return int(last[col["SuccessfulCall(C)"]]), int(last[col["FailedCall(C)"]])


def run_step(
    sipp: str, rate: int, seconds: float, auth: bool, users: Path, inject: Path, store: str, spy: Optional[Path]
) -> Step:
    calls = int(rate * seconds)
    with tempfile.TemporaryDirectory(prefix="sipfast-load-") as tmp:
        workdir = Path(tmp)
        proc, port, log = start_server(workdir, auth, users, store)
        started = cpu_seconds(proc.pid)  # imports and start-up are not the load's
        profiler = None
        try:
            if spy is not None:
                out = spy.with_name(f"{spy.name}-{'auth' if auth else 'noauth'}-{rate}.svg")
                profiler = subprocess.Popen(
                    ["py-spy", "record", "--pid", str(proc.pid), "--rate", "250", "--output", str(out)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            stf = workdir / "sipp.csv"
            scenario = SCENARIOS / ("register_auth.xml" if auth else "register.xml")
            cmd = [
                sipp, f"127.0.0.1:{port}", "-sf", str(scenario), "-inf", str(inject),
                "-t", "u1", "-i", "127.0.0.1", "-p", str(free_udp_port()),
                "-r", str(rate), "-rp", "1000", "-m", str(calls), "-l", str(max(rate * 4, 1000)),
                "-default_behaviors", "all,-bye", "-nostdin", "-buff_size", "4194304",
                "-timeout", f"{int(seconds * 3 + 30)}s", "-trace_stat", "-stf", str(stf),
            ]  # fmt: skip
            if auth:
                cmd += ["-auth_uri", DOMAIN]  # sipp prefixes "sip:": the digest uri is the Request-URI
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            subprocess.run(
                cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds * 3 + 60
            )
            wall = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)  # sipp is the only child reaped meanwhile
            sipp_cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            succeeded, failed = read_stats(stf)
        finally:
            cpu, summary = stop_server(proc, log)
            if profiler is not None:
                profiler.wait(timeout=30)
        per_call = 1e6 / max(calls, 1)
        return Step(rate, calls, succeeded, failed, wall, (cpu - started) * per_call, sipp_cpu * per_call, summary)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rates", default=DEFAULT_RATES, help="calls per second, comma-separated, rising")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    p.add_argument("--users", type=int, default=20000, help="distinct users in the injection file")
    p.add_argument("--auth", choices=("both", "yes", "no"), default="both")
    p.add_argument("--store", default="default", help="--store for the server (default: its own default)")
    p.add_argument("--keep-going", action="store_true", help="do not stop a mode at its first step not held")
    p.add_argument("--py-spy", type=Path, help="record a py-spy flame graph of each step to PREFIX-MODE-RATE.svg")
    args = p.parse_args()
    sipp = shutil.which("sipp")
    if sipp is None:
        print("sipp is not installed (Debian: sip-tester)", file=sys.stderr)
        return 2
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    modes = {"both": [False, True], "yes": [True], "no": [False]}[args.auth]
    best: dict[bool, int] = {}
    with tempfile.TemporaryDirectory(prefix="sipfast-users-") as tmp:
        users, inject = write_users(Path(tmp), args.users)
        for auth in modes:
            name = "with auth (MD5)" if auth else "without auth"
            print(f"\n== {name}, UDP, store {args.store}, {args.seconds:g} s per step, {args.users} users")
            print(
                f"{'rate/s':>7} {'calls':>7} {'ok':>7} {'failed':>7} {'wall s':>6} {'held':>4} "
                f"{'server us/call':>14} {'sipp us/call':>12}  server summary"
            )
            for rate in rates:
                step = run_step(sipp, rate, args.seconds, auth, users, inject, args.store, args.py_spy)
                held = step.held(args.seconds)
                print(
                    f"{step.rate:>7} {step.calls:>7} {step.succeeded:>7} {step.failed:>7} {step.wall:>6.1f} "
                    f"{'yes' if held else 'NO':>4} {step.cpu_us:>14.0f} {step.sipp_cpu_us:>12.0f}  {step.summary}",
                    flush=True,
                )
                if held:
                    best[auth] = max(best.get(auth, 0), step.rate)
                elif not args.keep_going:
                    break
    print()
    for auth in modes:
        name = "with auth" if auth else "without auth"
        print(f"highest rate held with no failed call, {name}: {best.get(auth, 0)} REGISTER/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
