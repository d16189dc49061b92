"""A local MNS (SMQ) server implementing the documented REST/XML protocol, version 2015-06-06.

Implements what the driver and the tests use, each checked as the service documents it
(https://www.alibabacloud.com/help/doc-detail/27487.htm and the SendMessage, ReceiveMessage,
DeleteMessage and PublishMessage API pages):

- every request: ``x-mns-version: 2015-06-06``; a ``Date`` within 15 minutes of now
  (``RequestTimeTooSkewed`` otherwise); ``Authorization: MNS <AccessKeyId>:<Signature>``
  recomputed here over ``VERB\\nContent-MD5\\nContent-Type\\nDate\\n<x-mns-* headers>resource``
  with HMAC-SHA1 (``SignatureDoesNotMatch`` / ``InvalidAccessKeyId`` otherwise); an STS key must
  come with its ``security-token`` header;
- ``POST /queues/<q>/messages`` (SendMessage): ``<Message xmlns=...>`` with ``MessageBody``,
  optional ``DelaySeconds`` (0..604800) and ``Priority`` (1..16); 201 with ``MessageId`` and
  ``MessageBodyMD5`` (upper-case hex MD5 of the body as sent);
- ``GET /queues/<q>/messages?waitseconds=N`` (ReceiveMessage): the next visible message with
  ``ReceiptHandle``, ``DequeueCount``, ...; 404 ``MessageNotExist`` when empty;
- ``DELETE /queues/<q>/messages?ReceiptHandle=...`` (DeleteMessage): 204;
- ``POST /topics/<t>/messages`` (PublishMessage): ``MessageBody`` and optional ``MessageTag``;
  201 with ``MessageId`` and ``MessageBodyMD5``;
- errors as ``<Error xmlns=...><Code/><Message/><RequestId/><HostId/></Error>`` with the
  documented codes (``QueueNotExist``, ``TopicNotExist``, ``MalformedXML``, ``InvalidArgument``,
  ``MessageNotExist``, ``SignatureDoesNotMatch``...).

``MNSServer.requests`` records each request (method, path, headers, body) for assertions.

For the local cloud, three optional controls (all off by default, so the driver tests see the
plain protocol):

- ``authorize(access_key_id, action, resource)`` -> None when allowed, else the reason: every
  authenticated request is checked as RAM would, with the action and resource of MNS's RAM
  authorization table (``mns:SendMessage`` / ``ReceiveMessage`` / ``DeleteMessage`` on
  ``acs:mns:<region>:<account>:/queues/<q>/messages``, ``mns:PublishMessage`` on
  ``.../topics/<t>/messages``); a refusal is MNS's ``403 AccessDenied`` ("The OwnerId that your
  Access Key Id associated to is forbidden for this operation.");
- ``on_publish(topic, message)`` is called after each PublishMessage;
- ``set_dead_letter(queue, dead_letter, max_receive_count)``: the queue's ``dlqPolicy``; a message
  received ``max_receive_count`` times and not deleted moves to ``dead_letter`` instead of being
  delivered again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

XMLNS = "http://mns.aliyuncs.com/doc/v1/"
VERSION = "2015-06-06"
MAX_SKEW_S = 15 * 60
MAX_BODY = 65536


@dataclass
class StoredMessage:
    id: str
    body: str
    enqueued: float
    priority: int = 8
    visible_at: float = 0.0
    dequeue_count: int = 0
    receipt: str = ""
    tag: str = ""


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _State:
    credentials: dict[str, tuple[str, str]]  # key id -> (secret, token or "")
    queues: dict[str, list[StoredMessage]] = field(default_factory=dict)
    topics: dict[str, list[StoredMessage]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    record: bool = True  # keep ``requests`` (off in the local cloud: it would grow forever)
    region: str = "cn-hangzhou"
    account: str = ""
    authorize: Callable[[str, str, str], str | None] | None = None
    on_publish: Callable[[str, StoredMessage], None] | None = None
    dead_letters: dict[str, tuple[str, int]] = field(default_factory=dict)  # queue -> (dlq, max receives)


ACCESS_DENIED = "The OwnerId that your Access Key Id associated to is forbidden for this operation."


class MnsError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def string_to_sign(method: str, headers: dict[str, str], resource: str) -> str:
    mns = "".join(f"{k}:{headers[k]}\n" for k in sorted(headers) if k.startswith("x-mns-"))
    return (
        f"{method}\n{headers.get('content-md5', '')}\n{headers.get('content-type', '')}\n"
        f"{headers.get('date', '')}\n{mns}{resource}"
    )


def _child(root: ET.Element, name: str) -> str | None:
    node = root.find(f"{{{XMLNS}}}{name}")
    return None if node is None else (node.text or "")


class _Handler(BaseHTTPRequestHandler):
    server: MNSServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    # -- plumbing -----------------------------------------------------------------------------
    def _reply(self, status: int, xml: str = "") -> None:
        body = (f'<?xml version="1.0" encoding="UTF-8"?>{xml}' if xml else "").encode()
        self.send_response(status)
        self.send_header("x-mns-request-id", uuid.uuid4().hex[:24].upper())
        self.send_header("Content-Type", "text/xml;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, err: MnsError) -> None:
        self._reply(
            err.status,
            f'<Error xmlns="{XMLNS}"><Code>{err.code}</Code><Message>{err.message}</Message>'
            f"<RequestId>{uuid.uuid4().hex[:24].upper()}</RequestId><HostId>http://127.0.0.1</HostId></Error>",
        )

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        state = self.server.state
        if state.record:
            with state.lock:
                state.requests.append(Recorded(method, self.path, headers, body))
        try:
            self._key_id = self._authenticate(method, headers)
            self._route(method, body)
        except MnsError as err:
            self._error(err)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- checks -------------------------------------------------------------------------------
    def _authenticate(self, method: str, headers: dict[str, str]) -> str:
        if headers.get("x-mns-version") != VERSION:
            raise MnsError(400, "InvalidArgument", f"x-mns-version must be {VERSION}")
        date = headers.get("date", "")
        try:
            sent = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError):
            raise MnsError(400, "InvalidArgument", f"bad Date header {date!r}") from None
        if abs(time.time() - sent) > MAX_SKEW_S:
            raise MnsError(400, "RequestTimeTooSkewed", "the Date header is more than 15 minutes from the server time")
        auth = headers.get("authorization", "")
        if not auth.startswith("MNS ") or ":" not in auth:
            raise MnsError(403, "AccessDenied", "expected Authorization: MNS <AccessKeyId>:<Signature>")
        key_id, _, given = auth[4:].partition(":")
        known = self.server.state.credentials.get(key_id)
        if known is None:
            raise MnsError(403, "InvalidAccessKeyId", f"unknown AccessKeyId {key_id}")
        secret, token = known
        expected = base64.b64encode(
            hmac.new(secret.encode(), string_to_sign(method, headers, self.path).encode(), hashlib.sha1).digest()
        ).decode()
        if not hmac.compare_digest(expected, given):
            raise MnsError(403, "SignatureDoesNotMatch", "the request signature we calculated does not match")
        if token and headers.get("security-token") != token:
            raise MnsError(403, "AccessDenied", "an STS AccessKeyId needs its security-token header")
        return key_id

    def _authorize(self, action: str, kind: str, name: str) -> None:
        state = self.server.state
        if state.authorize is None:
            return
        resource = f"acs:mns:{state.region}:{state.account}:/{kind}/{name}/messages"
        if state.authorize(self._key_id, action, resource) is not None:
            raise MnsError(403, "AccessDenied", ACCESS_DENIED)

    def _parse(self, body: bytes) -> ET.Element:
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            raise MnsError(400, "MalformedXML", "the XML you provided was not well-formed") from None
        if root.tag != f"{{{XMLNS}}}Message":
            raise MnsError(400, "MalformedXML", f'expected <Message xmlns="{XMLNS}">; got <{root.tag}>')
        return root

    # -- operations ---------------------------------------------------------------------------
    def _route(self, method: str, body: bytes) -> None:
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        query = parse_qs(url.query)
        if len(parts) == 3 and parts[0] == "queues" and parts[2] == "messages":
            action = {"POST": "mns:SendMessage", "GET": "mns:ReceiveMessage", "DELETE": "mns:DeleteMessage"}
            if method in action:
                self._authorize(action[method], "queues", parts[1])
            queue = self._queue(parts[1])
            self._queue_name = parts[1]
            if method == "POST":
                return self._send(queue, body)
            if method == "GET":
                return self._receive(queue)
            if method == "DELETE":
                return self._delete(queue, (query.get("ReceiptHandle") or [""])[0])
        if len(parts) == 3 and parts[0] == "topics" and parts[2] == "messages" and method == "POST":
            self._authorize("mns:PublishMessage", "topics", parts[1])
            topic = self.server.state.topics.get(parts[1])
            if topic is None:
                raise MnsError(404, "TopicNotExist", f"the topic {parts[1]} does not exist")
            return self._publish(parts[1], topic, body)
        raise MnsError(400, "InvalidArgument", f"unsupported {method} {url.path}")

    def _queue(self, name: str) -> list[StoredMessage]:
        queue = self.server.state.queues.get(name)
        if queue is None:
            raise MnsError(404, "QueueNotExist", f"the queue {name} does not exist")
        return queue

    def _body(self, root: ET.Element) -> str:
        text = _child(root, "MessageBody")
        if text is None or text == "":
            raise MnsError(400, "InvalidArgument", "MessageBody is required")
        if len(text.encode()) > MAX_BODY:
            raise MnsError(400, "InvalidArgument", f"MessageBody is longer than {MAX_BODY} bytes")
        return text

    def _int(self, root: ET.Element, name: str, low: int, high: int, default: int) -> int:
        raw = _child(root, name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise MnsError(400, "InvalidArgument", f"{name} must be an integer; got {raw!r}") from None
        if not low <= value <= high:
            raise MnsError(400, "InvalidArgument", f"{name} must be {low}..{high}; got {value}")
        return value

    def _stored(self, msg: StoredMessage) -> str:
        md5 = hashlib.md5(msg.body.encode()).hexdigest().upper()
        return (
            f'<Message xmlns="{XMLNS}"><MessageId>{msg.id}</MessageId><MessageBodyMD5>{md5}</MessageBodyMD5></Message>'
        )

    def _send(self, queue: list[StoredMessage], body: bytes) -> None:
        root = self._parse(body)
        text = self._body(root)
        delay = self._int(root, "DelaySeconds", 0, 604800, 0)
        priority = self._int(root, "Priority", 1, 16, 8)
        now = time.time()
        msg = StoredMessage(uuid.uuid4().hex.upper(), text, now, priority, visible_at=now + delay)
        with self.server.state.lock:
            queue.append(msg)
        self._reply(201, self._stored(msg))

    def _publish(self, name: str, topic: list[StoredMessage], body: bytes) -> None:
        root = self._parse(body)
        tag = _child(root, "MessageTag") or ""
        msg = StoredMessage(uuid.uuid4().hex.upper(), self._body(root), time.time(), tag=tag)
        state = self.server.state
        with state.lock:
            topic.append(msg)
        if state.on_publish is not None:
            state.on_publish(name, msg)
        self._reply(201, self._stored(msg))

    def _receive(self, queue: list[StoredMessage]) -> None:
        now = time.time()
        with self.server.state.lock:
            msg = self.server.next_visible(self._queue_name, now, self.server.visibility_timeout_s)
            if msg is None:
                raise MnsError(404, "MessageNotExist", "message not exist")
        md5 = hashlib.md5(msg.body.encode()).hexdigest().upper()
        self._reply(
            200,
            f'<Message xmlns="{XMLNS}"><MessageId>{msg.id}</MessageId><ReceiptHandle>{msg.receipt}</ReceiptHandle>'
            f"<MessageBodyMD5>{md5}</MessageBodyMD5><MessageBody>{escape(msg.body)}</MessageBody>"
            f"<EnqueueTime>{int(msg.enqueued * 1000)}</EnqueueTime><DequeueCount>{msg.dequeue_count}</DequeueCount>"
            f"<Priority>{msg.priority}</Priority></Message>",
        )

    def _delete(self, queue: list[StoredMessage], receipt: str) -> None:
        with self.server.state.lock:
            for i, msg in enumerate(queue):
                if receipt and msg.receipt == receipt:
                    del queue[i]
                    break
            else:
                raise MnsError(404, "ReceiptHandleError", "the receipt handle is invalid or expired")
        self._reply(204)


class MNSServer(ThreadingHTTPServer):
    """``MNSServer(credentials={key_id: (secret, token)})`` on 127.0.0.1 and a free port."""

    daemon_threads = True

    def __init__(self, credentials: dict[str, tuple[str, str]], visibility_timeout_s: float = 30.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = _State(credentials=dict(credentials))
        self.visibility_timeout_s = visibility_timeout_s
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[Recorded]:
        return self.state.requests

    def create_queue(self, name: str) -> None:
        self.state.queues.setdefault(name, [])

    def send(self, queue: str, body: str, delay_s: float = 0.0) -> StoredMessage:
        """SendMessage in-process (the admin path)."""
        now = time.time()
        msg = StoredMessage(uuid.uuid4().hex.upper(), body, now, visible_at=now + delay_s)
        with self.state.lock:
            self.state.queues[queue].append(msg)
        return msg

    def publish(self, topic: str, body: str, tag: str = "") -> StoredMessage:
        """PublishMessage in-process (the admin path), firing ``on_publish``."""
        msg = StoredMessage(uuid.uuid4().hex.upper(), body, time.time(), tag=tag)
        with self.state.lock:
            self.state.topics[topic].append(msg)
        if self.state.on_publish is not None:
            self.state.on_publish(topic, msg)
        return msg

    def delete(self, queue: str, receipt: str) -> bool:
        """DeleteMessage in-process; False when the receipt handle is unknown or stale."""
        with self.state.lock:
            messages = self.state.queues[queue]
            for i, msg in enumerate(messages):
                if receipt and msg.receipt == receipt:
                    del messages[i]
                    return True
        return False

    def set_dead_letter(self, queue: str, dead_letter: str, max_receive_count: int) -> None:
        self.state.dead_letters[queue] = (dead_letter, max_receive_count)

    def next_visible(
        self, name: str, now: float, visibility_timeout_s: float, skip: Collection[str] = ()
    ) -> StoredMessage | None:
        """Receive one message of queue ``name`` (call with ``state.lock`` held): the next visible
        one by priority then age, hidden for ``visibility_timeout_s``; messages already received
        ``max_receive_count`` times move to the dead-letter queue first (the ``dlqPolicy``).
        Messages whose id is in ``skip`` are not received (one batch never holds a message twice)."""
        queue = self.state.queues[name]
        ready = [m for m in queue if m.visible_at <= now and m.id not in skip]
        policy = self.state.dead_letters.get(name)
        if policy is not None:
            dead_letter, max_receives = policy
            for m in [m for m in ready if m.dequeue_count >= max_receives]:
                queue.remove(m)
                ready.remove(m)
                self.state.queues.setdefault(dead_letter, []).append(
                    StoredMessage(m.id, m.body, now, m.priority, visible_at=now, tag=m.tag)
                )
        if not ready:
            return None
        msg = min(ready, key=lambda m: (m.priority, m.enqueued))
        msg.dequeue_count += 1
        msg.receipt = uuid.uuid4().hex
        msg.visible_at = now + visibility_timeout_s
        return msg

    def create_topic(self, name: str) -> None:
        self.state.topics.setdefault(name, [])

    def queue(self, name: str) -> list[StoredMessage]:
        return self.state.queues[name]

    def topic(self, name: str) -> list[StoredMessage]:
        return self.state.topics[name]

    def reset(self) -> None:
        with self.state.lock:
            self.state.queues.clear()
            self.state.topics.clear()
            self.state.dead_letters.clear()
            self.state.requests.clear()

    def start(self) -> MNSServer:
        self._thread = threading.Thread(target=self.serve_forever, name="mns-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def http_date(offset_s: float = 0.0) -> str:
    return formatdate(time.time() + offset_s, usegmt=True)
