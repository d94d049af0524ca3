"""Binding stores: the atomic apply on each store, concurrency across Registrar instances, durability."""

from __future__ import annotations

import gc
import os
import random
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import pytest
import redis_server
from conftest import StoreFactory

import sipfast
from sipfast.registrar import Registrar
from sipfast.stores import Binding, BindingStore, Change, MemoryStore, OutOfOrder, RedisStore, SQLiteStore, merge

T0 = 1_700_000_000.0
AOR = "sip:alice@example.com"
ROOT = Path(sipfast.__file__).resolve().parent.parent




def ch(n: int, expires: int = 100, q: Optional[str] = None) -> Change:
    return Change(f"sip:c{n}@192.0.2.1", f"sip:c{n}@192.0.2.1", q, expires)


def keys(bindings: Sequence[Binding]) -> set[str]:
    return {b.key for b in bindings}


# --------------------------------------------------------------------------------------------
# merge: the rule every store applies


def test_merge_adds_refreshes_and_removes() -> None:
    live, dead, written = merge([], "c", 1, [ch(1), ch(2, 50, "0.5")], T0)
    assert live == {
        "sip:c1@192.0.2.1": Binding("sip:c1@192.0.2.1", "sip:c1@192.0.2.1", None, T0 + 100, "c", 1, T0),
        "sip:c2@192.0.2.1": Binding("sip:c2@192.0.2.1", "sip:c2@192.0.2.1", "0.5", T0 + 50, "c", 1, T0),
    }
    assert dead == [] and written == list(live.values())
    live2, dead2, written2 = merge(live.values(), "c", 2, [ch(1, 0), ch(3)], T0 + 1)
    assert set(live2) == {"sip:c2@192.0.2.1", "sip:c3@192.0.2.1"}
    assert dead2 == ["sip:c1@192.0.2.1"]
    assert [b.key for b in written2] == ["sip:c3@192.0.2.1"]


def test_merge_refuses_old_cseq_of_same_call_id_only() -> None:
    live, _, _ = merge([], "c", 5, [ch(1)], T0)
    for cseq in (4, 5):
        with pytest.raises(OutOfOrder) as info:
            merge(live.values(), "c", cseq, [ch(2), ch(1)], T0)
        assert (info.value.stored_cseq, info.value.cseq, info.value.key) == (5, cseq, "sip:c1@192.0.2.1")
    assert "sip:c1@192.0.2.1" in merge(live.values(), "other", 1, [ch(1)], T0)[0]
    # Contact: * checks every binding
    with pytest.raises(OutOfOrder):
        merge(live.values(), "c", 5, [], T0, wildcard=True)
    assert merge(live.values(), "c", 6, [], T0, wildcard=True)[0] == {}


def test_merge_forgets_expired_bindings() -> None:
    live, _, _ = merge([], "c", 5, [ch(1, 10)], T0)
    # at expiry the binding is gone: not compared, deleted
    live2, dead, _ = merge(live.values(), "c", 1, [ch(1, 10)], T0 + 10)
    assert dead == ["sip:c1@192.0.2.1"]
    assert live2["sip:c1@192.0.2.1"].cseq == 1


# --------------------------------------------------------------------------------------------
# the protocol on every store


def test_store_is_a_binding_store(store: BindingStore) -> None:
    assert isinstance(store, BindingStore)


def test_apply_returns_and_keeps_bindings(store: BindingStore) -> None:
    got = store.apply(AOR, "c", 1, [ch(1), ch(2, 50, "0.25")], T0)
    expected = {
        Binding("sip:c1@192.0.2.1", "sip:c1@192.0.2.1", None, T0 + 100, "c", 1, T0),
        Binding("sip:c2@192.0.2.1", "sip:c2@192.0.2.1", "0.25", T0 + 50, "c", 1, T0),
    }
    assert set(got) == expected
    assert set(store.lookup(AOR, T0)) == expected
    assert store.lookup("sip:bob@example.com", T0) == []
    # no changes: a read, the same answer
    assert set(store.apply(AOR, "x", 1, [], T0)) == expected


def test_out_of_order_changes_nothing(store: BindingStore) -> None:
    store.apply(AOR, "c", 5, [ch(1)], T0)
    store.apply(AOR, "d", 9, [ch(2)], T0)
    before = sorted(store.lookup(AOR, T0))
    with pytest.raises(OutOfOrder):
        store.apply(AOR, "c", 5, [ch(3), ch(2, 0), ch(1)], T0 + 1)
    with pytest.raises(OutOfOrder):
        store.apply(AOR, "d", 2, [], T0 + 1, wildcard=True)
    assert sorted(store.lookup(AOR, T0 + 1)) == before


def test_wildcard_removes_all_of_one_aor(store: BindingStore) -> None:
    store.apply(AOR, "c", 1, [ch(1), ch(2)], T0)
    store.apply("sip:bob@example.com", "c", 1, [ch(1)], T0)
    assert store.apply(AOR, "c", 2, [], T0, wildcard=True) == []
    assert store.lookup(AOR, T0) == []
    assert keys(store.lookup("sip:bob@example.com", T0)) == {"sip:c1@192.0.2.1"}


def test_expired_bindings_are_invisible_then_dropped(store: BindingStore) -> None:
    store.apply(AOR, "c", 7, [ch(1, 10), ch(2, 20)], T0)
    store.apply("sip:bob@example.com", "c", 1, [ch(1, 10)], T0)
    assert keys(store.lookup(AOR, T0 + 10)) == {"sip:c2@192.0.2.1"}
    # an expired binding does not hold back an older CSeq
    got = store.apply(AOR, "c", 3, [ch(1, 10)], T0 + 10)
    assert {(b.key, b.cseq) for b in got} == {("sip:c1@192.0.2.1", 3), ("sip:c2@192.0.2.1", 7)}
    assert store.expire(T0 + 20) == 3
    assert store.lookup(AOR, T0) == [] and store.lookup("sip:bob@example.com", T0) == []
    assert len(store) == 0  # type: ignore[arg-type]


def test_clear(store: BindingStore) -> None:
    store.apply(AOR, "c", 1, [ch(1)], T0)
    store.clear()
    assert store.lookup(AOR, T0) == []


def test_threads_sharing_one_store_object(store: BindingStore) -> None:
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(40):
                store.apply(f"sip:u{t}-{i}@example.com", f"c{t}", 1, [ch(t)], T0)
                store.apply(AOR, f"t{t}", i + 1, [ch(t)], T0)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not any(th.is_alive() for th in threads)
    assert errors == []
    assert len(store) == 4 * 40 + 4  # type: ignore[arg-type]
    assert {(b.key, b.cseq) for b in store.lookup(AOR, T0)} == {(f"sip:c{t}@192.0.2.1", 40) for t in range(4)}


# --------------------------------------------------------------------------------------------
# two Registrar instances, one backend, interleaved REGISTERs for one address-of-record

N_REQUESTS = 160
POOL = 4


def plan(seed: int) -> list[tuple[int, list[str]]]:
    """REGISTERs with CSeq 1..N, one Call-ID. Each carries the anchor contact with q = CSeq/1000,
    so every accepted request must be newer than every earlier accepted one, and the anchor's q
    tells which request wrote last; plus random adds (q = CSeq/1000) and removals from a pool."""
    rng = random.Random(seed)
    out = []
    for cseq in range(1, N_REQUESTS + 1):
        q = f"{cseq / 1000:.3f}"
        contacts = [f"<sip:anchor@192.0.2.1>;q={q}"]
        for k in rng.sample(range(POOL), rng.randint(0, POOL)):
            contacts.append(f"<sip:p{k}@192.0.2.2>;expires=0" if rng.random() < 0.4 else f"<sip:p{k}@192.0.2.2>;q={q}")
        out.append((cseq, contacts))
    return out


def register_bytes(cseq: int, contacts: list[str]) -> bytes:
    lines = [
        "REGISTER sip:example.com SIP/2.0",
        f"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKr{cseq}",
        "From: <sip:alice@example.com>;tag=1",
        "To: <sip:alice@example.com>",
        "Call-ID: one-phone@192.0.2.1",
        f"CSeq: {cseq} REGISTER",
        *(f"Contact: {c}" for c in contacts),
        "Content-Length: 0",
        "",
        "",
    ]
    return "\r\n".join(lines).encode()


Outcome = dict[int, tuple[int, dict[str, Optional[str]]]]


def listing(bindings: Sequence[Binding]) -> dict[str, Optional[str]]:
    return {b.contact: b.q for b in bindings}


def contact_qs(resp: sipfast.Response) -> dict[str, Optional[str]]:
    """contact URI -> q of the Contacts a 200 lists."""
    parsed = [sipfast.parse_name_addr(v) for v in resp.get_headers("Contact")]
    return {na.uri.text: na.params.get("q") for na in parsed}


def check_history(requests: dict[int, list[str]], outcome: Outcome, final: dict[str, Optional[str]]) -> list[str]:
    """Problems with a concurrent run, or []: ``outcome`` maps CSeq to (status, contact -> q of
    its 200), ``final`` is what the store holds at the end."""
    problems = []
    accepted = sorted(c for c, (code, _) in outcome.items() if code == 200)
    refused = [c for c, (code, _) in outcome.items() if code != 200]
    if any(outcome[c][0] != 500 for c in refused):
        problems.append("answers other than 200 and 500")
    if not accepted:
        return [*problems, "nothing accepted"]
    # the anchor forces accepted requests to commit in CSeq order, so a serial replay of them in
    # that order on a fresh registrar must give the final bindings and each 200's listing
    model = Registrar(domains="example.com", max_expires=3600, clock=lambda: T0)
    for cseq in accepted:
        resp = model.receive(sipfast.parse(register_bytes(cseq, requests[cseq])))  # type: ignore[arg-type]
        assert resp is not None and resp.code == 200
        expected = contact_qs(resp)
        if outcome[cseq][1] != expected:
            problems.append(f"the 200 to CSeq {cseq} lists {outcome[cseq][1]}, a serial order gives {expected}")
    serial = listing(model.bindings(AOR))
    if final != serial:
        problems.append(f"final bindings {final} differ from the serial order's {serial}")
    if final.get("sip:anchor@192.0.2.1") != f"{accepted[-1] / 1000:.3f}":
        problems.append("the last write is not the highest accepted CSeq: a CSeq went backwards")
    if refused and max(refused) > accepted[-1]:
        problems.append("a REGISTER newer than every accepted one was refused")
    return problems


class UncheckedStore(MemoryStore):
    """What a store that checks and writes in two steps lets through when requests race: here
    every request passes (the Call-ID it compares is made unique), as if each was checked
    against the state before the others were written."""

    def apply(
        self, aor: str, call_id: str, cseq: int, changes: Sequence[Change], now: float, wildcard: bool = False
    ) -> list[Binding]:
        return super().apply(aor, f"{call_id}#{cseq}", cseq, changes, now, wildcard)


def run_serially(reg: Registrar, requests: dict[int, list[str]], cseqs: Sequence[int]) -> Outcome:
    outcome: Outcome = {}
    for cseq in cseqs:
        resp = reg.receive(sipfast.parse(register_bytes(cseq, requests[cseq])))  # type: ignore[arg-type]
        assert resp is not None
        outcome[cseq] = (resp.code, contact_qs(resp))
    return outcome


def test_check_history_accepts_a_serial_run() -> None:
    requests = dict(plan(1))
    reg = Registrar(domains="example.com", max_expires=3600, clock=lambda: T0)
    outcome = run_serially(reg, requests, [3, 7, 5, 9, 1, 12])
    assert [outcome[c][0] for c in (3, 7, 5, 9, 1, 12)] == [200, 200, 500, 200, 500, 200]
    assert check_history(requests, outcome, listing(reg.bindings(AOR))) == []


def test_check_history_catches_a_cseq_going_backwards() -> None:
    requests = dict(plan(1))
    reg = Registrar(domains="example.com", max_expires=3600, store=UncheckedStore(), clock=lambda: T0)
    # 5 and 7 both pass against 3; 7 writes, then 5 overwrites it
    outcome = run_serially(reg, requests, [3, 7, 5])
    assert [outcome[c][0] for c in (3, 7, 5)] == [200, 200, 200]
    problems = check_history(requests, outcome, listing(reg.bindings(AOR)))
    assert any("went backwards" in p for p in problems)
    assert any("final bindings" in p for p in problems)


def run_interleaved(stores: Sequence[BindingStore]) -> tuple[dict[int, list[str]], Outcome]:
    """Two threads, each with its own Registrar over its store, send the plan's REGISTERs."""
    requests = dict(plan(2024))
    # both threads go roughly upwards, each with local reorderings, so that they keep overtaking
    # each other: many REGISTERs are accepted, many refused
    rng = random.Random(99)
    order = sorted(requests, key=lambda c: c + rng.uniform(0, 6))
    halves = [order[0::2], order[1::2]]
    registrars = [Registrar(domains="example.com", max_expires=3600, store=s, clock=lambda: T0) for s in stores]
    outcome: Outcome = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2, timeout=30)

    def work(reg: Registrar, cseqs: list[int]) -> None:
        try:
            barrier.wait()
            for cseq in cseqs:
                resp = reg.receive(sipfast.parse(register_bytes(cseq, requests[cseq])))  # type: ignore[arg-type]
                assert resp is not None
                outcome[cseq] = (resp.code, contact_qs(resp))
                time.sleep(0)  # hand the GIL over: the threads alternate request by request
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(registrars[i], halves[i])) for i in (0, 1)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # and may also switch inside a REGISTER
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
    finally:
        sys.setswitchinterval(interval)
    assert not any(th.is_alive() for th in threads)
    assert errors == []
    assert len(outcome) == N_REQUESTS
    return requests, outcome


def test_two_registrars_interleaved_stay_serial(open_store: StoreFactory) -> None:
    first, second = open_store(), open_store()
    requests, outcome = run_interleaved([first, second])
    final = listing(first.lookup(AOR, T0))
    assert listing(second.lookup(AOR, T0)) == final
    assert check_history(requests, outcome, final) == []


class TwoStepStore(MemoryStore):
    """A broken store: checks under the lock, lets go, then writes what it decided."""

    def apply(
        self, aor: str, call_id: str, cseq: int, changes: Sequence[Change], now: float, wildcard: bool = False
    ) -> list[Binding]:
        with self._lock:
            current = list(self._aors.get(aor, {}).values())
        live, _, _ = merge(current, call_id, cseq, changes, now, wildcard)
        time.sleep(0)
        with self._lock:
            self._aors[aor] = live
        return list(live.values())


def test_interleaved_run_exposes_a_two_step_store() -> None:
    store = TwoStepStore()
    requests, outcome = run_interleaved([store, store])
    assert check_history(requests, outcome, listing(store.lookup(AOR, T0))) != []


# --------------------------------------------------------------------------------------------
# SQLite


def test_sqlite_uses_wal_and_keeps_bindings_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    first = SQLiteStore(path)
    first.apply(AOR, "c", 1, [ch(1), ch(2, 30, "0.5")], T0)
    first.close()
    second = SQLiteStore(path)
    try:
        assert keys(second.lookup(AOR, T0)) == {"sip:c1@192.0.2.1", "sip:c2@192.0.2.1"}
        assert second._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        second.close()


def test_sqlite_threads_use_their_own_connections(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "b.db")
    seen: list[int] = []
    together = threading.Barrier(3, timeout=30)

    def work() -> None:
        seen.append(id(store._conn()))
        together.wait()  # all three connections alive at once: their ids differ

    try:
        threads = [threading.Thread(target=work) for _ in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        assert len(set(seen)) == 3 and id(store._conn()) not in seen
        # a thread's connection goes with the thread
        gc.collect()
        assert len(store._conns) == 1
    finally:
        store.close()


_WRITER = """
import sys
import sipfast
from sipfast.registrar import Registrar
from sipfast.stores import SQLiteStore

reg = Registrar(store=SQLiteStore(sys.argv[1]), max_expires=3600, clock=lambda: float(sys.argv[2]))
for i in range(1, 1_000_000):
    data = (
        "REGISTER sip:example.com SIP/2.0\\r\\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKd%d\\r\\n"
        "From: <sip:u%d@example.com>;tag=1\\r\\nTo: <sip:u%d@example.com>\\r\\nCall-ID: d%d\\r\\n"
        "CSeq: 1 REGISTER\\r\\nContact: <sip:u%d@192.0.2.1:5060>\\r\\nContent-Length: 0\\r\\n\\r\\n"
    ) % (i, i, i, i, i)
    resp = reg.receive(sipfast.parse(data.encode()))
    if resp is None or resp.code != 200:
        sys.exit("REGISTER %d got %r" % (i, resp))
    print(i, flush=True)
"""


def test_sqlite_binding_survives_sigkill_right_after_its_200(tmp_path: Path) -> None:
    path = tmp_path / "durable.db"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), repr(T0)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    last = 0
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            buf = b""
            deadline = time.monotonic() + 60
            while last < 200:
                left = deadline - time.monotonic()
                assert left > 0, f"the writer printed only {last} lines in 60 s"
                if not sel.select(left):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                assert chunk, f"the writer stopped after {last}: {proc.stderr.read() if proc.stderr else ''}"
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    last = int(line)
                    if last == 200:
                        # killed at once: the 200 of REGISTER 200 was answered, nothing more happens
                        os.kill(proc.pid, signal.SIGKILL)
                        break
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    store = SQLiteStore(path)
    try:
        for i in range(1, 201):
            assert [b.contact for b in store.lookup(f"sip:u{i}@example.com", T0)] == [f"sip:u{i}@192.0.2.1:5060"], i
    finally:
        store.close()


# --------------------------------------------------------------------------------------------
# Redis


def test_redis_keys_expire_by_themselves(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix=redis_server.unique_prefix())
    client = store._redis
    key = store.prefix + AOR
    try:
        store.apply(AOR, "c", 1, [ch(1, 100), ch(2, 300)], T0)
        assert 300_000 < client.pttl(key) <= 301_000
        store.apply(AOR, "c", 2, [ch(2, 0)], T0 + 10)
        assert 90_000 < client.pttl(key) <= 91_000
        store.apply(AOR, "c", 3, [ch(1, 0)], T0 + 10)
        assert client.exists(key) == 0
    finally:
        store.clear()
        store.close()


def test_redis_store_without_the_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ImportError, match=r"'redis' extra"):
        RedisStore("redis://127.0.0.1:1/0")


def test_stores_import_without_redis() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import sipfast, sipfast.stores, sipfast.registrar\n"
        "print(sipfast.registrar.Registrar(store=sipfast.stores.MemoryStore()).query('sip:a@b'))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), SIPFAST_PURE_PYTHON="1")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == b"[]"
