"""``python -m localcloud``: run the application locally, and talk to it from a second terminal.

    python -m localcloud up --cloud aws|ali [--samples a,b] [--port 8765] [--wall-clock] [--no-watch]
    python -m localcloud ls
    python -m localcloud put BUCKET KEY FILE          (FILE '-' reads stdin)
    python -m localcloud get BUCKET KEY [OUT]
    python -m localcloud send QUEUE BODY [--attr k=v ...]
    python -m localcloud publish TOPIC BODY [--attr k=v ...]
    python -m localcloud invoke FUNCTION [EVENT_JSON | @file.json]
    python -m localcloud fire SCHEDULE
    python -m localcloud advance DURATION            (90s, 5m, 1h30m, or seconds)
    python -m localcloud logs [--function F] [-f]
    python -m localcloud dlq QUEUE

The subcommands find the running ``up`` through ``.localcloud/api.json`` in the project (or
``--api URL`` / ``$LOCALCLOUD_API``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from localcloud.cloud import LocalCloud, _project_root, state_file


class CliError(Exception):
    pass


def _api_url(args: argparse.Namespace) -> str:
    if args.api:
        return args.api.rstrip("/")
    if os.environ.get("LOCALCLOUD_API"):
        return os.environ["LOCALCLOUD_API"].rstrip("/")
    path = state_file(_project_root())
    if not path.exists():
        raise CliError(f"no local cloud is running (no {path}); start one with: python -m localcloud up --cloud aws")
    return json.loads(path.read_text())["url"]


def _call(args: argparse.Namespace, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
    url = _api_url(args) + route
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=args.timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            doc = json.loads(exc.read())
        except ValueError:
            doc = {"error": f"HTTP {exc.code}"}
        raise CliError(doc.get("error", str(doc))) from None
    except urllib.error.URLError as exc:
        hint = "is `python -m localcloud up` running?"
        raise CliError(f"cannot reach the local cloud at {url}: {exc.reason}; {hint}") from None


def _attrs(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise CliError(f"--attr {item!r}: expected key=value")
        out[key] = value
    return out


def _print(doc: Any) -> None:
    print(json.dumps(doc, indent=2, default=str))


# -- subcommands ---------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    samples = [s.strip() for s in args.samples.split(",") if s.strip()] if args.samples else None
    cloud = LocalCloud(args.cloud, samples, api_port=args.port, wall_clock=args.wall_clock, watch=not args.no_watch)
    state = state_file(cloud.project_dir)

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        cloud.start()
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps({"url": cloud.api.url, "pid": os.getpid(), "cloud": args.cloud}))
        print(f"localcloud: ready. Web page: {cloud.api.url}/  Stop with Ctrl-C.", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nlocalcloud: stopping", flush=True)
    finally:
        cloud.stop()
        if state.exists() and json.loads(state.read_text() or "{}").get("pid") == os.getpid():
            state.unlink()
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    d = _call(args, "GET", "/api/describe")
    for kind in ("functions", "buckets", "queues", "topics", "schedules", "databases"):
        for name, info in d[kind].items():
            extra = ""
            if kind == "schedules":
                extra = f"  {info['expression']}  next {info['next']}"
            elif kind == "functions":
                extra = f"  {info['runtime']}  invocations {info['invocations']}"
            print(f"{kind[:-1]:<9} {name}{extra}")
    print(f"time      {d['clock']['now']} ({'wall' if d['clock']['wall'] else 'virtual'} clock)")
    return 0


def cmd_put(args: argparse.Namespace) -> int:
    import base64

    if args.file == "-":
        body = sys.stdin.buffer.read()
    else:
        path = Path(args.file)
        if not path.is_file():
            raise CliError(f"file {args.file!r} does not exist (cwd {Path.cwd()})")
        body = path.read_bytes()
    key = args.key
    _print(
        _call(
            args, "POST", "/api/objects", {"bucket": args.bucket, "key": key, "base64": base64.b64encode(body).decode()}
        )
    )
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    import base64
    from urllib.parse import urlencode

    doc = _call(args, "GET", "/api/object?" + urlencode({"bucket": args.bucket, "key": args.key}))
    data = base64.b64decode(doc["base64"])
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"wrote {len(data)} bytes to {args.out}")
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    _print(_call(args, "POST", "/api/send", {"queue": args.queue, "body": args.body, "attributes": _attrs(args.attr)}))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    body = {"topic": args.topic, "body": args.body, "attributes": _attrs(args.attr)}
    _print(_call(args, "POST", "/api/publish", body))
    return 0


def cmd_invoke(args: argparse.Namespace) -> int:
    event: Any = None
    if args.event is not None:
        text = args.event
        if text.startswith("@"):
            path = Path(text[1:])
            if not path.is_file():
                raise CliError(f"event file {text[1:]!r} does not exist")
            text = path.read_text()
        try:
            event = json.loads(text)
        except ValueError as exc:
            raise CliError(f"the event is not JSON ({exc}); quote a JSON string as '\"text\"'") from None
    doc = _call(args, "POST", "/api/invoke", {"function": args.function, "event": event})
    _print(doc)
    return 0 if doc["ok"] else 1


def cmd_fire(args: argparse.Namespace) -> int:
    doc = _call(args, "POST", "/api/fire", {"schedule": args.schedule})
    _print(doc)
    return 0 if doc["ok"] else 1


def cmd_advance(args: argparse.Namespace) -> int:
    _print(_call(args, "POST", "/api/advance", {"duration": args.duration}))
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    since = 0
    while True:
        route = f"/api/logs?since={since}" + (f"&function={args.function}" if args.function else "")
        for line in _call(args, "GET", route):
            since = max(since, line["seq"])
            print(f"[{line['function']}] [{line['request_id'] or '-'}] {line['text']}", flush=True)
        if not args.follow:
            return 0
        time.sleep(0.5)


def cmd_dlq(args: argparse.Namespace) -> int:
    _print(_call(args, "GET", f"/api/dlq?queue={args.queue}"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description="Run the application locally.")
    parser.add_argument("--api", help="the running local cloud's API URL (default: from .localcloud/api.json)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for an answer")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start the local cloud (Ctrl-C stops it)")
    up.add_argument("--cloud", required=True, choices=["aws", "ali"])
    up.add_argument("--samples", help="comma-separated samples (default: all)")
    up.add_argument("--port", type=int, default=8765, help="API and web page port on 127.0.0.1 (0: any)")
    up.add_argument("--wall-clock", action="store_true", help="schedules fire in real time")
    up.add_argument("--no-watch", action="store_true", help="do not rebuild functions when their code changes")
    up.set_defaults(run=cmd_up)

    sub.add_parser("ls", help="list resources").set_defaults(run=cmd_ls)
    p = sub.add_parser("put", help="put an object (triggers notifications)")
    p.add_argument("bucket")
    p.add_argument("key")
    p.add_argument("file")
    p.set_defaults(run=cmd_put)
    p = sub.add_parser("get", help="read an object")
    p.add_argument("bucket")
    p.add_argument("key")
    p.add_argument("out", nargs="?")
    p.set_defaults(run=cmd_get)
    for name, target, fn in (("send", "queue", cmd_send), ("publish", "topic", cmd_publish)):
        p = sub.add_parser(name, help=f"{name} a message to a {target}")
        p.add_argument(target)
        p.add_argument("body")
        p.add_argument("--attr", action="append", help="message attribute key=value (repeatable)")
        p.set_defaults(run=fn)
    p = sub.add_parser("invoke", help="invoke a function synchronously")
    p.add_argument("function")
    p.add_argument("event", nargs="?", help="JSON event, or @file.json")
    p.set_defaults(run=cmd_invoke)
    p = sub.add_parser("fire", help="fire a schedule now")
    p.add_argument("schedule")
    p.set_defaults(run=cmd_fire)
    p = sub.add_parser("advance", help="advance the local clock (fires what falls due)")
    p.add_argument("duration")
    p.set_defaults(run=cmd_advance)
    p = sub.add_parser("logs", help="function logs")
    p.add_argument("--function")
    p.add_argument("-f", "--follow", action="store_true")
    p.set_defaults(run=cmd_logs)
    p = sub.add_parser("dlq", help="messages in a dead-letter queue")
    p.add_argument("queue")
    p.set_defaults(run=cmd_dlq)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CliError as exc:
        print(f"localcloud: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
