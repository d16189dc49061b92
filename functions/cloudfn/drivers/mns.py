"""Messaging over Alibaba Cloud MNS (SMQ), speaking its documented REST API (2015-06-06).

Why not the SDK: ``aliyun-mns-sdk`` (1.3.0) declares no supported Python versions, still
carries Python 2 fallbacks, and pulls ``pycryptodome`` (a compiled wheel to package per
platform) for features we do not use. Sending and publishing are two signed POSTs; the standard
library does them on Python 3.10-3.12 alike, and ``tests/servers/mns_server.py`` checks them
against the documented protocol, signature included.

Protocol (https://www.alibabacloud.com/help/doc-detail/27487.htm):

- endpoint ``https://<account>.mns.<region>.aliyuncs.com`` (injected by the grant);
- headers ``Date`` (RFC 1123, GMT), ``Content-Type: text/xml;charset=UTF-8``,
  ``x-mns-version: 2015-06-06``, ``Authorization: MNS <AccessKeyId>:<Signature>`` where
  ``Signature = base64(HMAC-SHA1(secret, VERB\\nCONTENT-MD5\\nCONTENT-TYPE\\nDATE\\n
  <x-mns-* headers, lower-cased, sorted, "k:v\\n">RESOURCE))``; an STS token travels in the
  ``security-token`` header (not signed, as the official SDK does);
- queue bodies are base64 of the UTF-8 text, matching the SDK's default and the EventBridge
  trigger's ``IsBase64Decode: true`` (the function receives the text); topic bodies are sent as
  text, since the topic trigger delivers ``Message`` as published.

Credentials on FC come from ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` / ``_SECURITY_TOKEN``
(the function role's STS credentials), read on every request so a refreshed set is picked up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from email.utils import formatdate
from typing import NamedTuple
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from cloudfn import settings
from cloudfn.drivers.messaging import Messaging, check_message
from cloudfn.errors import (
    DriverError,
    NotFoundError,
    PermissionDeniedError,
    SettingError,
    ThrottledError,
)

VERSION = "2015-06-06"
XMLNS = "http://mns.aliyuncs.com/doc/v1/"
CONTENT_TYPE = "text/xml;charset=UTF-8"
MAX_BODY_BYTES = 65536
# XML 1.0 cannot carry these characters at all; a topic body containing one cannot be published.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_NOT_FOUND = {"QueueNotExist", "TopicNotExist"}
_DENIED = {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "SecurityTokenExpired"}
_THROTTLED = {"Throttling", "QpsLimitExceeded"}


class Credentials(NamedTuple):
    access_key_id: str
    access_key_secret: str
    security_token: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if env is None else env
        key, secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", ""), env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
        if not key or not secret:
            raise SettingError(
                "ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set; FC sets them "
                "from the function's role (the function needs a role)"
            )
        return cls(key, secret, env.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""))


def string_to_sign(method: str, headers: Mapping[str, str], resource: str) -> str:
    lower = {k.lower(): v for k, v in headers.items()}
    mns = "".join(f"{k}:{lower[k]}\n" for k in sorted(lower) if k.startswith("x-mns-"))
    return "\n".join(
        (method, lower.get("content-md5", ""), lower.get("content-type", ""), lower.get("date", ""), mns + resource)
    )


def signature(secret: str, method: str, headers: Mapping[str, str], resource: str) -> str:
    digest = hmac.new(secret.encode(), string_to_sign(method, headers, resource).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class MnsClient:
    """The two data-plane calls, signed. Without ``credentials``, the env vars are read per request."""

    def __init__(self, endpoint: str, credentials: Credentials | None = None, *, timeout_s: float = 10.0) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingError(
                f"MNS endpoint must be a URL like https://<account>.mns.<region>.aliyuncs.com; got {endpoint!r}"
            )
        self.endpoint = endpoint
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._credentials = credentials
        self.timeout_s = timeout_s

    def _request(self, method: str, resource: str, xml_body: bytes, what: str) -> ET.Element:
        creds = self._credentials or Credentials.from_env()
        headers = {
            "Date": formatdate(usegmt=True),
            "Content-Type": CONTENT_TYPE,
            "Content-Length": str(len(xml_body)),
            "x-mns-version": VERSION,
        }
        signed = signature(creds.access_key_secret, method, headers, resource)
        headers["Authorization"] = f"MNS {creds.access_key_id}:{signed}"
        if creds.security_token:
            headers["security-token"] = creds.security_token
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self.timeout_s)
        try:
            conn.request(method, resource, body=xml_body, headers=headers)
            response = conn.getresponse()
            status, payload = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise DriverError(f"{what}: cannot reach MNS at {self.endpoint}: {exc}") from exc
        finally:
            conn.close()
        try:
            root = ET.fromstring(payload) if payload else None
        except ET.ParseError as exc:
            raise DriverError(f"{what}: HTTP {status} with a body that is not XML: {payload[:120]!r}") from exc
        if status >= 300 or root is None:
            raise _error(status, root, what)
        return root

    def send_message(self, queue: str, body: str, *, delay_s: int = 0, priority: int = 8) -> str:
        encoded = base64.b64encode(body.encode("utf-8")).decode("ascii")
        if len(encoded) > MAX_BODY_BYTES:
            raise ValueError(
                f"MNS messages are at most {MAX_BODY_BYTES} bytes; this body is {len(encoded)} after base64"
            )
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?><Message xmlns="{XMLNS}"><MessageBody>{encoded}</MessageBody>'
            f"<DelaySeconds>{delay_s}</DelaySeconds><Priority>{priority}</Priority></Message>"
        ).encode()
        root = self._request("POST", f"/queues/{queue}/messages", xml, f"send to MNS queue {queue!r}")
        return _message_id(root, encoded, f"send to MNS queue {queue!r}")

    def publish_message(self, topic: str, body: str, *, tag: str | None = None) -> str:
        if _XML_INVALID.search(body):
            raise ValueError("MNS topic messages travel in XML, which cannot carry control characters; base64 the body")
        raw = body.encode("utf-8")
        if len(raw) > MAX_BODY_BYTES:
            raise ValueError(f"MNS messages are at most {MAX_BODY_BYTES} bytes; this body is {len(raw)}")
        tag_xml = f"<MessageTag>{escape(tag)}</MessageTag>" if tag else ""
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?><Message xmlns="{XMLNS}"><MessageBody>{escape(body)}</MessageBody>'
            f"{tag_xml}</Message>"
        ).encode()
        root = self._request("POST", f"/topics/{topic}/messages", xml, f"publish to MNS topic {topic!r}")
        return _message_id(root, body, f"publish to MNS topic {topic!r}")


def _find(root: ET.Element, name: str) -> str:
    node = root.find(f"{{{XMLNS}}}{name}")
    if node is None:
        node = root.find(name)
    return (node.text or "") if node is not None else ""


def _message_id(root: ET.Element, sent_body: str, what: str) -> str:
    msg_id = _find(root, "MessageId")
    if not msg_id:
        raise DriverError(f"{what}: the response names no MessageId")
    md5 = _find(root, "MessageBodyMD5")
    if md5 and md5.upper() != hashlib.md5(sent_body.encode("utf-8")).hexdigest().upper():
        raise DriverError(f"{what}: MNS stored a body with MD5 {md5}, not the one sent (message {msg_id})")
    return msg_id


def _error(status: int, root: ET.Element | None, what: str) -> Exception:
    code = _find(root, "Code") if root is not None else ""
    text = _find(root, "Message") if root is not None else ""
    request_id = _find(root, "RequestId") if root is not None else ""
    message = f"{what}: HTTP {status} {code or 'no error code'}: {text} (request {request_id or '?'})"
    if code in _NOT_FOUND or (not code and status == 404):
        return NotFoundError(message)
    if code in _DENIED or (not code and status == 403):
        return PermissionDeniedError(message)
    if code in _THROTTLED or status == 429:
        return ThrottledError(message)
    return DriverError(message)


class MnsMessaging(Messaging):
    """One client per endpoint; ``credentials`` override the environment (tests)."""

    def __init__(self, *, env: Mapping[str, str] | None = None, credentials: Credentials | None = None) -> None:
        self._env = env
        self._credentials = credentials
        self._clients: dict[str, MnsClient] = {}

    def _client(self, endpoint: str) -> MnsClient:
        client = self._clients.get(endpoint)
        if client is None:
            creds = self._credentials
            if creds is None and self._env is not None and "ALIBABA_CLOUD_ACCESS_KEY_ID" in self._env:
                creds = Credentials.from_env(self._env)
            client = self._clients[endpoint] = MnsClient(endpoint, creds)
        return client

    def send(self, queue: str, body: str, *, attributes: Mapping[str, str] | None = None, delay_s: int = 0) -> str:
        check_message(body, attributes, delay_s)
        if attributes:
            raise ValueError(
                f"MNS queue messages have no attributes (got {sorted(attributes)} for queue {queue!r}); "
                "carry them in the body"
            )
        name = settings.binding("queue", queue, "name", self._env)
        endpoint = settings.binding("queue", queue, "endpoint", self._env)
        return self._client(endpoint).send_message(name, body, delay_s=delay_s)

    def publish(self, topic: str, body: str, *, attributes: Mapping[str, str] | None = None) -> str:
        check_message(body, attributes)
        if attributes:
            raise ValueError(
                f"MNS topic messages have no attributes for function subscribers (got {sorted(attributes)} "
                f"for topic {topic!r}); carry them in the body"
            )
        name = settings.binding("topic", topic, "name", self._env)
        endpoint = settings.binding("topic", topic, "endpoint", self._env)
        return self._client(endpoint).publish_message(name, body)
