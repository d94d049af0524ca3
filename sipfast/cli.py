"""The ``sipfast`` command: ``parse``, ``registrar`` and ``bench``."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional, Union

from . import __version__, _speedups
from .errors import DigestError, SIPParseError

__all__ = ("main",)

log = logging.getLogger("sipfast")

DEFAULT_DB = "sipfast-registrar.db"
DEFAULT_LISTEN = ("udp:127.0.0.1:5060", "tcp:127.0.0.1:5060")


class UsageError(Exception):
    """A bad command line or configuration file: printed, exit status 2."""


# --- sipfast parse ----------------------------------------------------------------------------


def _describe(msg: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "request" if msg.is_request else "response"}
    if msg.is_request:
        out.update(method=msg.method, uri=msg.uri)
    else:
        out.update(code=msg.code, reason=msg.reason)
    out["headers"] = [[n, v] for n, v in msg.headers]
    for name in ("call_id", "cseq", "branch", "from_tag", "to_tag"):
        try:
            out[name] = getattr(msg, name)
        except SIPParseError as exc:
            out[name] = None
            out.setdefault("warnings", []).append(f"{name}: {exc}")
    body = msg.body
    try:
        out["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        out["body_base64"] = base64.b64encode(body).decode("ascii")
    return out


def cmd_parse(args: argparse.Namespace) -> int:
    from .message import Packet, Request, Response

    if args.file in (None, "-"):
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            print(f"sipfast parse: {exc}", file=sys.stderr)
            return 1
        name = args.file
    try:
        msg = Packet.parse(data, strict=args.strict, max_size=max(len(data), 65536))
    except SIPParseError as exc:
        print(f"sipfast parse: {name}: not a valid SIP message: {exc}", file=sys.stderr)
        return 1
    info = _describe(msg)
    if args.json:
        json.dump(info, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    if isinstance(msg, Request):
        start = f"{msg.method} {msg.uri}"
    else:
        assert isinstance(msg, Response)
        start = f"{msg.code} {msg.reason}"
    print(f"{info['type']}: {start}")
    for header, value in msg.headers:
        print(f"  {header}: {value}")
    for field in ("call_id", "cseq", "branch", "from_tag", "to_tag"):
        print(f"{field}: {info[field]}")
    for warning in info.get("warnings", ()):
        print(f"warning: {warning}")
    print(f"body: {len(msg.body)} octets")
    return 0


# --- sipfast registrar ------------------------------------------------------------------------


def read_users(path: Union[str, Path], realm: str) -> dict[str, Union[str, dict[str, str]]]:
    """Read a users file: ``user:password`` lines, or Apache htdigest ``user:realm:md5-ha1`` lines;
    blank lines and ``#`` comments are skipped. A malformed line raises UsageError naming it."""
    users: dict[str, Union[str, dict[str, str]]] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read users file {path}: {exc}") from None
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        user, colon, rest = text.partition(":")
        if not colon or not user or not rest or any(c in user for c in " \t@"):
            raise UsageError(f"{path}:{number}: expected 'user:password' or 'user:realm:md5-ha1'")
        parts = rest.split(":")
        if len(parts) == 2 and re.fullmatch(r"[0-9a-fA-F]{32}", parts[1]):
            if parts[0] != realm:
                raise UsageError(f"{path}:{number}: htdigest realm {parts[0]!r} is not the realm {realm!r}")
            users[user] = {"MD5": parts[1].lower()}
        else:
            users[user] = rest
    if not users:
        raise UsageError(f"{path}: no users")
    return users


def make_store(spec: str) -> Any:
    from . import stores

    if spec == "memory":
        return stores.MemoryStore()
    if spec.startswith("sqlite:"):
        path = spec[len("sqlite:") :]
        if not path:
            raise UsageError("--store sqlite:PATH needs a path")
        return stores.SQLiteStore(path)
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return stores.RedisStore(spec)
    raise UsageError(f"unknown store {spec!r}: use memory, sqlite:PATH or redis://HOST:PORT/DB")


def build_registrar(args: argparse.Namespace) -> Any:
    from .auth import Authenticator
    from .registrar import Registrar

    realm = args.realm or (args.domain[0] if args.domain else "sipfast")
    authenticator = None
    if args.users:
        users = read_users(args.users, realm)
        try:
            algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
            authenticator = Authenticator(realm, users, algorithms=algorithms)
        except (DigestError, ValueError) as exc:
            raise UsageError(f"--algorithms {args.algorithms!r}: {exc}") from None
        if any(isinstance(u, dict) for u in users.values()) and authenticator.algorithms[0] != "MD5":
            log.warning("htdigest users have only an MD5 HA1: serve them with --algorithms MD5")
    if args.min_expires < 0 or args.max_expires < args.min_expires:
        raise UsageError("need 0 <= --min-expires <= --max-expires")
    return Registrar(
        domains=args.domain or None,
        min_expires=args.min_expires,
        max_expires=args.max_expires,
        store=make_store(args.store),
        authenticator=authenticator,
    )


async def serve(args: argparse.Namespace) -> int:
    from .server import RegistrarServer, describe, parse_listen

    try:
        listens = [parse_listen(s) for s in (args.listen or DEFAULT_LISTEN)]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    registrar = build_registrar(args)
    server = RegistrarServer(registrar)
    try:
        await server.start(listens)
    except OSError as exc:
        registrar.close()
        print(f"sipfast registrar: cannot listen: {exc}", file=sys.stderr)
        return 1
    auth = "digest auth" if registrar.authenticator is not None else "no auth"
    log.info(
        "sipfast %s registrar (%s backend) listening on %s; store %s; %s; domains %s",
        __version__,
        _speedups.BACKEND,
        describe(server.bound),
        args.store,
        auth,
        ", ".join(args.domain) if args.domain else "any",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not on this platform / thread
            pass
    try:
        await stop.wait()
    finally:
        await server.close()
        registrar.close()
        log.info("stopped: %s", server.stats.summary())
    return 0


def cmd_registrar(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper(), logging.INFO),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        return asyncio.run(serve(args))
    except UsageError as exc:
        print(f"sipfast registrar: {exc}", file=sys.stderr)
        return 2


# --- sipfast bench ----------------------------------------------------------------------------


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run

    return run(seconds=args.seconds)


# --- entry point ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sipfast", description="SIP parsing, digest auth and a registrar.")
    parser.add_argument("--version", action="version", version=f"sipfast {__version__} ({_speedups.BACKEND})")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="show a SIP message; exit 1 on bad input")
    p.add_argument("file", nargs="?", help="a file holding one message, or - for stdin (the default)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--strict", action="store_true", help="check the grammar of every RFC 3261 header")
    p.set_defaults(func=cmd_parse)

    r = sub.add_parser("registrar", help="run a registrar over UDP and TCP")
    r.add_argument(
        "--listen",
        action="append",
        metavar="udp|tcp:HOST:PORT",
        help=f"where to listen (repeatable; default {' and '.join(DEFAULT_LISTEN)})",
    )
    r.add_argument("--domain", action="append", default=[], help="a domain served (repeatable; default: any)")
    r.add_argument("--realm", help="digest realm (default: the first --domain, else 'sipfast')")
    r.add_argument("--users", help="turn on digest auth: lines 'user:password' or htdigest 'user:realm:md5-ha1'")
    r.add_argument(
        "--algorithms",
        default="SHA-256,MD5",
        help="digest algorithms offered, most preferred first (MD5 alone for clients that read only "
        "the first challenge and know only MD5, such as sipp 3.6)",
    )
    r.add_argument(
        "--store",
        default=f"sqlite:{DEFAULT_DB}",
        help=f"memory, sqlite:PATH or redis://HOST:PORT/DB (default sqlite:{DEFAULT_DB})",
    )
    r.add_argument("--min-expires", type=int, default=30)
    r.add_argument("--max-expires", type=int, default=300)
    r.add_argument("--log-level", default=os.environ.get("SIPFAST_LOG_LEVEL", "info"))
    r.set_defaults(func=cmd_registrar)

    b = sub.add_parser("bench", help="parse / digest / registrar throughput of both twins, side by side")
    b.add_argument("--seconds", type=float, default=0.5, help="time per measurement")
    b.set_defaults(func=cmd_bench)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
