"""The local cloud's HTTP JSON API (127.0.0.1 only) and its web page.

GET  /                      the web page (topology and live invocations)
GET  /api/describe          topology, endpoints, functions, clock
GET  /api/invocations?since=N   invocation records after seq N (event and result)
GET  /api/logs?since=N[&function=F]  function log lines after seq N
GET  /api/objects?bucket=B[&prefix=P]   object keys;  /api/object?bucket=B&key=K  one object (base64)
GET  /api/dlq?queue=Q       messages in a (dead-letter) queue, not consumed
POST /api/objects {bucket, key, text | base64}
POST /api/send    {queue, body, attributes?}
POST /api/publish {topic, body, attributes?}
POST /api/invoke  {function, event?}      (Alibaba: event may be a string, sent as bytes)
POST /api/fire    {schedule}
POST /api/advance {duration}              ("90s", "5m", "1h", or seconds)
POST /api/wait    {timeout?}              until nothing is queued or running

Errors are JSON ``{"error": ..., "existing": [...]?}`` with 400 (bad input) or 404 (unknown name).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from localcloud.triggers import NotFound

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

WEB_DIR = Path(__file__).resolve().parent / "web"


class BadRequest(ValueError):
    pass


def _need(doc: dict[str, Any], key: str, kind: type = str) -> Any:
    if key not in doc:
        raise BadRequest(f"missing field {key!r}; got {sorted(doc)}")
    value = doc[key]
    if not isinstance(value, kind):
        raise BadRequest(f"field {key!r} must be a {kind.__name__}; got {type(value).__name__}")
    return value


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, doc: Any) -> None:
        self._send(status, json.dumps(doc, default=str).encode())

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            doc = json.loads(raw or b"{}")
        except ValueError as exc:
            raise BadRequest(f"request body is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise BadRequest("request body must be a JSON object")
        return doc

    def _run(self, method: str) -> None:
        route = urlsplit(self.path).path
        try:
            if method == "GET" and route in ("/", "/index.html"):
                self._send(200, (WEB_DIR / "index.html").read_bytes(), "text/html; charset=utf-8")
                return
            handler = ROUTES.get((method, route))
            if handler is None:
                known = sorted(f"{m} {r}" for m, r in ROUTES)
                self._json(404, {"error": f"no route {method} {route}", "existing": known})
                return
            payload = self._query() if method == "GET" else self._body()
            self._json(200, handler(self.server.cloud, payload))
        except NotFound as exc:
            self._json(404, {"error": str(exc), "existing": sorted(exc.existing)})
        except (BadRequest, ValueError, KeyError, TypeError) as exc:
            self._json(400, {"error": str(exc)})
        except Exception as exc:  # report, never kill the server
            self._json(500, {"error": f"{type(exc).__name__}: {exc}"})

    def do_GET(self) -> None:
        self._run("GET")

    def do_POST(self) -> None:
        self._run("POST")


# -- route handlers ----------------------------------------------------------


def _describe(cloud: LocalCloud, q: dict[str, Any]) -> Any:
    return cloud.describe()


def _invocations(cloud: LocalCloud, q: dict[str, Any]) -> Any:
    since = int(q.get("since", 0))
    return [r.as_dict() for r in list(cloud.invocations) if r.seq > since]


def _logs(cloud: LocalCloud, q: dict[str, Any]) -> Any:
    since = int(q.get("since", 0))
    function = q.get("function")
    if function:
        function = cloud.function_name(function)
    return [
        line.__dict__ for line in list(cloud.logs) if line.seq > since and (not function or line.function == function)
    ]


def _objects(cloud: LocalCloud, q: dict[str, Any]) -> Any:
    return cloud.list_objects(_need(q, "bucket"), q.get("prefix", ""))


def _object(cloud: LocalCloud, q: dict[str, Any]) -> Any:
    body = cloud.get_object(_need(q, "bucket"), _need(q, "key"))
    return {"size": len(body), "base64": base64.b64encode(body).decode()}


def _dlq(cloud: LocalCloud, q: dict[str, Any]) -> Any:
    return cloud.dead_letters(_need(q, "queue"), int(q.get("max", 10)))


def _put(cloud: LocalCloud, d: dict[str, Any]) -> Any:
    if "base64" in d:
        try:
            body = base64.b64decode(_need(d, "base64"), validate=True)
        except binascii.Error as exc:
            raise BadRequest(f"field 'base64' is not base64: {exc}") from None
    elif "text" in d:
        body = _need(d, "text").encode()
    else:
        raise BadRequest("give the object's content as 'text' or 'base64'")
    return cloud.put_object(_need(d, "bucket"), _need(d, "key"), body)


def _attributes(d: dict[str, Any]) -> dict[str, str] | None:
    attrs = d.get("attributes")
    if attrs is None:
        return None
    if not isinstance(attrs, dict) or not all(isinstance(v, str) for v in attrs.values()):
        raise BadRequest("'attributes' must be an object of strings")
    return attrs


def _send_msg(cloud: LocalCloud, d: dict[str, Any]) -> Any:
    return cloud.send_message(_need(d, "queue"), _need(d, "body"), _attributes(d))


def _publish(cloud: LocalCloud, d: dict[str, Any]) -> Any:
    return cloud.publish(_need(d, "topic"), _need(d, "body"), _attributes(d))


def _invoke(cloud: LocalCloud, d: dict[str, Any]) -> Any:
    return cloud.invoke(_need(d, "function"), d.get("event")).as_dict()


def _fire(cloud: LocalCloud, d: dict[str, Any]) -> Any:
    return cloud.fire(_need(d, "schedule")).as_dict()


def _advance(cloud: LocalCloud, d: dict[str, Any]) -> Any:
    duration = d.get("duration")
    if not isinstance(duration, (str, int, float)):
        raise BadRequest("missing field 'duration' (seconds, or like 90s, 5m, 1h)")
    return cloud.advance(duration)


def _wait(cloud: LocalCloud, d: dict[str, Any]) -> Any:
    return {"idle": cloud.wait_idle(float(d.get("timeout", 30)))}


ROUTES = {
    ("GET", "/api/describe"): _describe,
    ("GET", "/api/invocations"): _invocations,
    ("GET", "/api/logs"): _logs,
    ("GET", "/api/objects"): _objects,
    ("GET", "/api/object"): _object,
    ("GET", "/api/dlq"): _dlq,
    ("POST", "/api/objects"): _put,
    ("POST", "/api/send"): _send_msg,
    ("POST", "/api/publish"): _publish,
    ("POST", "/api/invoke"): _invoke,
    ("POST", "/api/fire"): _fire,
    ("POST", "/api/advance"): _advance,
    ("POST", "/api/wait"): _wait,
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, cloud: LocalCloud, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.cloud = cloud


class ApiServer:
    def __init__(self, cloud: LocalCloud, port: int = 0) -> None:
        self._server = _Server(cloud, port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="localcloud-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
