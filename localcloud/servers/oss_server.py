"""A local OSS endpoint speaking OSS's documented REST protocol, for driver tests over HTTP.

moto speaks S3, which differs from OSS exactly where a driver can go wrong, so this server
follows the OSS documentation instead:

- **V4 signatures, verified server-side** ("Include a V4 signature in the header"):
  ``Authorization: OSS4-HMAC-SHA256 Credential=<AK>/<yyyymmdd>/<region>/oss/aliyun_v4_request,
  [AdditionalHeaders=<h1;h2>,]Signature=<hex>``; required ``x-oss-date`` (``yyyymmddTHHMMSSZ``,
  within 15 minutes) and ``x-oss-content-sha256``. The server rebuilds the canonical request
  from what it received (method, ``/<bucket>/<key>`` URI-encoded except ``/``, the query
  re-encoded and sorted, every ``x-oss-*`` header plus ``content-type``, ``content-md5`` and
  the additional headers, lower-cased, trimmed and sorted, the additional header names, the
  payload hash), derives the key ``HMAC("aliyun_v4"+secret, date) -> region -> "oss" ->
  "aliyun_v4_request"`` and compares. A mismatch is ``403 SignatureDoesNotMatch`` carrying the
  server's ``StringToSign`` and ``CanonicalRequest``, as OSS does.
- **STS**: an access key registered with a token must send it as ``x-oss-security-token``
  (a signed header, since it starts with ``x-oss-``).
- **Errors**: ``<Error><Code/><Message/><RequestId/><HostId/>...<EC/></Error>`` with the
  ``x-oss-request-id`` and ``x-oss-ec`` headers; HEAD errors have headers only.
- **Objects**: PutObject (``ETag`` = upper-case MD5 hex in quotes, ``x-oss-hash-crc64ecma``,
  ``Content-MD5`` checked when sent), GetObject, HeadObject, DeleteObject (204 even when
  absent), ListObjectsV2 (``list-type=2``; ``prefix``, ``max-keys`` default 100 max 1000,
  opaque ``continuation-token``, ``start-after``, ``delimiter``, ``encoding-type=url`` which
  URL-encodes ``Key``/``Prefix`` in the XML).

Both path-style (``/<bucket>/<key>``) and virtual-hosted (``Host: <bucket>.<endpoint>``)
addressing are accepted; the SDK uses path style for an IP endpoint. EC values other than
NoSuchKey's, NoSuchBucket's and AccessDenied's are placeholders.

For the local cloud, optional controls on ``OssState`` (off by default):

- ``authorize(access_key_id, action, resource)`` -> None when allowed, else ``"explicit-deny"`` /
  ``"implicit-deny"``: each authenticated request is checked as RAM would, with OSS's action and
  resource (``oss:PutObject`` / ``GetObject`` (also HEAD) / ``DeleteObject`` on
  ``acs:oss:<region>:<account>:<bucket>/<key>``, ``oss:ListObjects`` on ``...:<bucket>``). A
  refusal is ``403 AccessDenied`` with EC ``0003-00000201`` (an explicit Deny in a RAM policy)
  or ``0003-00000001`` (no Allow), the codes OSS's error-code pages give;
- ``on_object_created(bucket, key, object, event_name)`` after every PutObject, whoever sent it
  (``event_name`` is OSS's, ``ObjectCreated:PutObject``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from xml.sax.saxutils import escape

MAX_SKEW = timedelta(minutes=15)
ALGORITHM = "OSS4-HMAC-SHA256"


def crc64_ecma(data: bytes, crc: int = 0) -> int:
    """CRC-64/XZ (ECMA-182 polynomial, reflected), what OSS returns in x-oss-hash-crc64ecma."""
    crc ^= 0xFFFFFFFFFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def _crc_table() -> list[int]:
    poly = 0xC96C5795D7870F42  # 0x42F0E1EBA9EA3693 bit-reversed
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def uri_encode(value: str, safe: str = "") -> str:
    """RFC 3986 encoding: only A-Z a-z 0-9 - _ . ~ (and ``safe``) stay as they are."""
    return quote(value, safe=safe)


def signing_key(secret: str, date: str, region: str, product: str = "oss") -> bytes:
    key = ("aliyun_v4" + secret).encode()
    for part in (date, region, product, "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


@dataclass
class StoredObject:
    data: bytes
    content_type: str
    last_modified: datetime

    @property
    def etag(self) -> str:
        return hashlib.md5(self.data).hexdigest().upper()

    @property
    def crc64(self) -> str:
        return str(crc64_ecma(self.data))


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    status: int = 0


@dataclass
class OssState:
    region: str
    credentials: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    buckets: dict[str, dict[str, StoredObject]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    record: bool = True  # keep ``requests`` (off in the local cloud: it would grow forever)
    account: str = ""
    authorize: Callable[[str, str, str], str | None] | None = None
    on_object_created: Callable[[str, str, StoredObject, str], None] | None = None


class OssError(Exception):
    def __init__(self, status: int, code: str, message: str, ec: str = "0000-00000000", **extra: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.ec, self.extra = status, code, message, ec, extra


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing ---------------------------------------------------------------------------
    def _dispatch(self) -> None:
        request_id = uuid.uuid4().hex[:24].upper()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        if self.server.state.record:
            with self.server.state.lock:
                self.server.state.requests.append(record)
        try:
            bucket, key = self._address()
            access_key_id = self._authenticate(bucket, key, body)
            self._authorize(access_key_id, bucket, key)
            status, headers, payload = self._operate(bucket, key, body)
        except OssError as err:
            status, headers, payload = self._error(err, request_id)
        record.status = status
        headers.setdefault("x-oss-request-id", request_id)
        headers.setdefault("Date", format_datetime(datetime.now(timezone.utc), usegmt=True))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _dispatch

    def _address(self) -> tuple[str, str | None]:
        """``(bucket, key)`` from a path-style or virtual-hosted request."""
        path = urlsplit(self.path).path
        host = (self.headers.get("Host") or "").split(":")[0]
        first, _, rest = host.partition(".")
        if rest and not host.replace(".", "").isdigit() and first in self.server.state.buckets:
            bucket, raw_key = first, path[1:]
        else:
            bucket, _, raw_key = path[1:].partition("/")
        if not bucket:
            raise OssError(400, "InvalidRequest", "this server implements bucket and object operations only")
        return unquote(bucket), (unquote(raw_key) or None)

    def _error(self, err: OssError, request_id: str) -> tuple[int, dict[str, str], bytes]:
        headers = {"x-oss-request-id": request_id, "x-oss-ec": err.ec}
        if self.command == "HEAD":
            return err.status, headers, b""
        extra = "".join(f"  <{k}>{escape(v)}</{k}>\n" for k, v in err.extra.items())
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
            f"  <Code>{err.code}</Code>\n  <Message>{escape(err.message)}</Message>\n"
            f"  <RequestId>{request_id}</RequestId>\n  <HostId>{escape(self.headers.get('Host') or '')}</HostId>\n"
            f"{extra}  <EC>{err.ec}</EC>\n"
            f"  <RecommendDoc>https://api.aliyun.com/troubleshoot?q={err.ec}</RecommendDoc>\n</Error>\n"
        )
        headers["Content-Type"] = "application/xml"
        return err.status, headers, xml.encode()

    # -- V4 authentication -----------------------------------------------------------------
    def _authenticate(self, bucket: str, key: str | None, body: bytes) -> str:
        auth = self.headers.get("Authorization")
        if not auth:
            raise OssError(
                403, "AccessDenied", "You have no right to access this object because of bucket acl.", "0003-00000001"
            )
        algorithm, _, fields_text = auth.partition(" ")
        if algorithm != ALGORITHM:
            raise OssError(
                400, "InvalidArgument", f"this server verifies {ALGORITHM} (V4) signatures only; got {algorithm!r}"
            )
        fields: dict[str, str] = {}
        for part in fields_text.split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        try:
            access_key_id, date, region, product, terminator = fields["Credential"].split("/")
            signature = fields["Signature"]
        except (KeyError, ValueError):
            raise OssError(400, "InvalidArgument", f"malformed Authorization header: {auth!r}") from None
        state = self.server.state
        if access_key_id not in state.credentials:
            raise OssError(
                403,
                "InvalidAccessKeyId",
                "The OSS Access Key Id you provided does not exist in our records.",
                OSSAccessKeyId=access_key_id,
            )
        secret, token = state.credentials[access_key_id]
        stamp = self.headers.get("x-oss-date") or ""
        try:
            when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise OssError(403, "AccessDenied", f"x-oss-date must be yyyymmddTHHMMSSZ; got {stamp!r}") from None
        if abs(datetime.now(timezone.utc) - when) > MAX_SKEW:
            raise OssError(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
        if date != stamp[:8] or region != state.region or product != "oss" or terminator != "aliyun_v4_request":
            raise OssError(
                403,
                "SignatureDoesNotMatch",
                f"invalid credential scope {date}/{region}/{product}/{terminator}; expected "
                f"{stamp[:8]}/{state.region}/oss/aliyun_v4_request",
            )
        if token is not None and self.headers.get("x-oss-security-token") != token:
            raise OssError(
                403,
                "InvalidAccessKeyId",
                "The security token you provided is invalid or missing "
                "(send x-oss-security-token with STS credentials).",
            )
        payload_hash = self.headers.get("x-oss-content-sha256")
        if not payload_hash:
            raise OssError(400, "InvalidArgument", "x-oss-content-sha256 is required with V4 signatures")
        if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
            raise OssError(400, "InvalidArgument", "x-oss-content-sha256 does not match the body")
        additional = [h for h in fields.get("AdditionalHeaders", "").lower().split(";") if h]
        canonical = self._canonical_request(bucket, key, additional, payload_hash)
        scope = f"{date}/{region}/{product}/{terminator}"
        to_sign = "\n".join((ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()))
        expected = hmac.new(signing_key(secret, date, region, product), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise OssError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the "
                "signature you provided. Check your key and signing method.",
                "0002-00000040",
                StringToSign=to_sign,
                CanonicalRequest=canonical,
            )
        return access_key_id

    def _authorize(self, access_key_id: str, bucket: str, key: str | None) -> None:
        state = self.server.state
        if state.authorize is None:
            return
        query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        if key is None:
            action = "oss:ListObjects" if self.command == "GET" and query.get("list-type") == "2" else None
        else:
            action = {"PUT": "oss:PutObject", "GET": "oss:GetObject", "HEAD": "oss:GetObject"}.get(self.command)
            action = "oss:DeleteObject" if self.command == "DELETE" else action
        if action is None:
            return  # not implemented here: _operate answers NotImplemented
        resource = f"acs:oss:{state.region}:{state.account}:{bucket}" + (f"/{key}" if key is not None else "")
        refused = state.authorize(access_key_id, action, resource)
        if refused == "explicit-deny":
            raise OssError(403, "AccessDenied", "Access denied by bucket policy.", "0003-00000201", AuthAction=action)
        if refused is not None:
            raise OssError(
                403,
                "AccessDenied",
                "You have no right to access this object because of bucket acl.",
                "0003-00000001",
                AuthAction=action,
            )

    def _canonical_request(self, bucket: str, key: str | None, additional: list[str], payload_hash: str) -> str:
        uri = uri_encode(f"/{bucket}/{key or ''}", safe="/")
        pairs = sorted(
            (uri_encode(k), uri_encode(v)) for k, v in parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
        )
        query = "&".join(f"{k}={v}" if v else k for k, v in pairs)
        signed: dict[str, list[str]] = {}
        for name in self.headers:
            low = name.lower()
            if low.startswith("x-oss-") or low in ("content-type", "content-md5") or low in additional:
                signed[low] = [v.strip() for v in self.headers.get_all(name) or []]
        headers = "".join(f"{k}:{','.join(v)}\n" for k, v in sorted(signed.items()))
        return "\n".join((self.command, uri, query, headers, ";".join(additional), payload_hash))

    # -- operations ------------------------------------------------------------------------
    def _bucket(self, name: str) -> dict[str, StoredObject]:
        objects = self.server.state.buckets.get(name)
        if objects is None:
            raise OssError(
                404, "NoSuchBucket", "The specified bucket does not exist.", "0015-00000101", BucketName=name
            )
        return objects

    def _operate(self, bucket: str, key: str | None, body: bytes) -> tuple[int, dict[str, str], bytes]:
        objects = self._bucket(bucket)
        query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        if key is None:
            if self.command == "GET" and query.get("list-type") == "2":
                return self._list_v2(bucket, objects, query)
            raise OssError(501, "NotImplemented", f"{self.command} on a bucket is not implemented here")
        if self.command == "PUT" and not query:
            return self._put(objects, key, body)
        if self.command in ("GET", "HEAD") and not query:
            return self._get(objects, key)
        if self.command == "DELETE" and not query:
            with self.server.state.lock:
                objects.pop(key, None)
            return 204, {}, b""
        raise OssError(501, "NotImplemented", f"{self.command} {sorted(query)} is not implemented here")

    def _put(self, objects: dict[str, StoredObject], key: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        sent = self.headers.get("Content-MD5")
        if sent and sent != md5:
            raise OssError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
        forbid = (self.headers.get("x-oss-forbid-overwrite") or "false").lower()
        if forbid not in ("true", "false"):
            # help.aliyun.com/en/oss/user-guide/0017-00000279: only true and false are valid.
            raise OssError(400, "InvalidArgument", "x-oss-forbid-overwrite must be true or false.", "0017-00000279")
        obj = StoredObject(
            body,
            self.headers.get("Content-Type") or "application/octet-stream",
            datetime.now(timezone.utc).replace(microsecond=0),
        )
        state = self.server.state
        with state.lock:  # the check and the write are one step, as on OSS
            if forbid == "true" and key in objects:
                # help.aliyun.com/en/oss/user-guide/0026-00000201: HTTP 409 FileAlreadyExists.
                raise OssError(409, "FileAlreadyExists", "The object you specified already exists.", "0026-00000201")
            objects[key] = obj
        if state.on_object_created is not None:
            state.on_object_created(self._address()[0], key, obj, "ObjectCreated:PutObject")
        return 200, {"ETag": f'"{obj.etag}"', "Content-MD5": md5, "x-oss-hash-crc64ecma": obj.crc64}, b""

    def _get(self, objects: dict[str, StoredObject], key: str) -> tuple[int, dict[str, str], bytes]:
        obj = objects.get(key)
        if obj is None:
            raise OssError(404, "NoSuchKey", "The specified key does not exist.", "0026-00000001", Key=key)
        headers = {
            "Content-Type": obj.content_type,
            "Content-Length": str(len(obj.data)),
            "ETag": f'"{obj.etag}"',
            "Last-Modified": format_datetime(obj.last_modified, usegmt=True),
            "x-oss-object-type": "Normal",
            "x-oss-storage-class": "Standard",
            "x-oss-hash-crc64ecma": obj.crc64,
            "Accept-Ranges": "bytes",
        }
        return 200, headers, obj.data

    def _list_v2(
        self, bucket: str, objects: dict[str, StoredObject], query: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        try:
            max_keys = int(query.get("max-keys", "100"))
        except ValueError:
            raise OssError(400, "InvalidArgument", "max-keys must be an integer") from None
        if not 0 <= max_keys <= 1000:
            raise OssError(400, "InvalidArgument", "max-keys must be 0..1000")
        token = query.get("continuation-token")
        after = query.get("start-after", "")
        if token:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except (ValueError, UnicodeDecodeError):
                raise OssError(400, "InvalidArgument", "invalid continuation-token") from None
        url = query.get("encoding-type") == "url"

        def enc(value: str) -> str:
            return escape(quote(value, safe="/") if url else value)

        with self.server.state.lock:
            keys = sorted(k for k in objects if k.startswith(prefix) and k > after)
        contents: list[str] = []
        prefixes: list[str] = []
        last = ""
        truncated = False
        for k in keys:
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            if delimiter and delimiter in k[len(prefix) :]:
                common = k[: len(prefix) + k[len(prefix) :].index(delimiter) + len(delimiter)]
                if common not in prefixes:
                    prefixes.append(common)
                last = k
                continue
            obj = objects[k]
            stamp = obj.last_modified.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            contents.append(
                f"  <Contents>\n    <Key>{enc(k)}</Key>\n    <LastModified>{stamp}</LastModified>\n"
                f'    <ETag>"{obj.etag}"</ETag>\n    <Type>Normal</Type>\n    <Size>{len(obj.data)}</Size>\n'
                f"    <StorageClass>Standard</StorageClass>\n  </Contents>\n"
            )
            last = k
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>\n',
            f"  <Name>{escape(bucket)}</Name>\n  <Prefix>{enc(prefix)}</Prefix>\n",
            f"  <MaxKeys>{max_keys}</MaxKeys>\n  <Delimiter>{enc(delimiter)}</Delimiter>\n",
        ]
        if url:
            parts.append("  <EncodingType>url</EncodingType>\n")
        if token:
            parts.append(f"  <ContinuationToken>{escape(token)}</ContinuationToken>\n")
        parts.append(f"  <IsTruncated>{'true' if truncated else 'false'}</IsTruncated>\n")
        if truncated:
            next_token = base64.urlsafe_b64encode(last.encode()).decode()
            parts.append(f"  <NextContinuationToken>{next_token}</NextContinuationToken>\n")
        parts.append(f"  <KeyCount>{len(contents) + len(prefixes)}</KeyCount>\n")
        parts.extend(contents)
        parts.extend(f"  <CommonPrefixes>\n    <Prefix>{enc(p)}</Prefix>\n  </CommonPrefixes>\n" for p in prefixes)
        parts.append("</ListBucketResult>\n")
        return 200, {"Content-Type": "application/xml"}, "".join(parts).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: OssState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class OssServer:
    """``with OssServer(region) as server:`` serves on ``server.endpoint`` (http://127.0.0.1:port)."""

    def __init__(self, region: str = "cn-hangzhou") -> None:
        self.state = OssState(region=region)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def region(self) -> str:
        return self.state.region

    def start(self) -> OssServer:
        self._server = _Server(self.state)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="oss-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None

    def __enter__(self) -> OssServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ---------------------------------------------------------------------
    def reset(self) -> None:
        with self.state.lock:
            self.state.credentials.clear()
            self.state.buckets.clear()
            self.state.requests.clear()

    def add_credentials(self, access_key_id: str, secret: str, token: str | None = None) -> None:
        self.state.credentials[access_key_id] = (secret, token)

    def create_bucket(self, name: str) -> None:
        self.state.buckets.setdefault(name, {})

    def put(self, bucket: str, key: str, data: bytes, content_type: str = "application/octet-stream") -> StoredObject:
        """Store an object in-process (the admin path), firing ``on_object_created`` like PutObject."""
        obj = StoredObject(data, content_type, datetime.now(timezone.utc).replace(microsecond=0))
        with self.state.lock:
            self.state.buckets[bucket][key] = obj
        if self.state.on_object_created is not None:
            self.state.on_object_created(bucket, key, obj, "ObjectCreated:PutObject")
        return obj

    def objects(self, bucket: str) -> dict[str, bytes]:
        with self.state.lock:
            return {k: v.data for k, v in self.state.buckets[bucket].items()}
