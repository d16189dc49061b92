"""A dropped connection, a silent server, missing credentials: every driver raises a
``cloudfn.errors`` type (chained to the SDK's), never botocore's, the OSS SDK's or psycopg's.

Functions catch neutral errors to decide what a failure means (retry, report); an SDK exception
leaking through would escape that and, on AWS, break the SQS partial-batch contract.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from cloudfn.drivers.mns import Credentials, MnsClient
from cloudfn.drivers.oss import OssObjectStore, make_client
from cloudfn.drivers.postgres import PgSettings, PostgresDriver
from cloudfn.drivers.s3 import S3ObjectStore
from cloudfn.drivers.sqs_sns import SqsSnsMessaging
from cloudfn.errors import CloudFnError, DriverError, PermissionDeniedError


@pytest.fixture
def refused_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never answers: a hung backend."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


_FAST = Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1, "mode": "standard"})


def _aws(service: str, port: int) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        config=_FAST,
    )


def _aws_calls(port: int) -> dict[str, Callable[[], Any]]:
    env = {
        "QUEUE_ORDERS_URL": f"http://127.0.0.1:{port}/123/orders",
        "TOPIC_NEWS_ARN": "arn:aws:sns:us-east-1:123:news",
    }
    messaging = SqsSnsMessaging(sqs=_aws("sqs", port), sns=_aws("sns", port), env=env)
    store = S3ObjectStore("b", _aws("s3", port))
    return {
        "sqs send": lambda: messaging.send("orders", "x"),
        "sns publish": lambda: messaging.publish("news", "x"),
        "s3 get": lambda: store.get("k", max_bytes=10),
        "s3 put": lambda: store.put("k", b"x"),
        "s3 put_if_absent": lambda: store.put_if_absent("k", b"x"),
        "s3 list": lambda: list(store.list("p/")),
    }


def _ali_calls(port: int) -> dict[str, Callable[[], Any]]:
    import alibabacloud_oss_v2 as oss

    client = make_client("cn-hangzhou", f"http://127.0.0.1:{port}", "STS.k", "s", "t")
    client._client._options.retryer = oss.retry.NopRetryer()  # one attempt, so the test is quick
    client._client._options.readwrite_timeout = 1
    client._client._options.connect_timeout = 1
    store = OssObjectStore("b", client)
    mns = MnsClient(f"http://127.0.0.1:{port}", Credentials("STS.k", "s", "t"), timeout_s=1)
    return {
        "oss get": lambda: store.get("k", max_bytes=10),
        "oss put": lambda: store.put("k", b"x"),
        "oss put_if_absent": lambda: store.put_if_absent("k", b"x"),
        "mns send": lambda: mns.send_message("q", "x"),
        "mns publish": lambda: mns.publish_message("t", "x"),
    }


def _pg(port: int) -> Callable[[], Any]:
    driver = PostgresDriver(PgSettings("127.0.0.1", port, "db", "u", "p", sslmode="disable", connect_timeout_s=2))

    def run() -> None:
        with driver.transaction() as conn:
            conn.execute("SELECT 1")

    return run


def _all(port: int) -> dict[str, Callable[[], Any]]:
    return {**_aws_calls(port), **_ali_calls(port), "postgres": _pg(port)}


NAMES = sorted(_all(1))


@pytest.mark.parametrize("name", NAMES)
def test_a_refused_connection_is_a_driver_error(name: str, refused_port: int) -> None:
    with pytest.raises(DriverError) as caught:
        _all(refused_port)[name]()
    assert caught.value.__cause__ is not None  # the SDK's error, chained for the log


@pytest.mark.parametrize("name", NAMES)
def test_a_server_that_never_answers_is_a_driver_error(name: str, silent_port: int) -> None:
    with pytest.raises(DriverError) as caught:
        _all(silent_port)[name]()
    assert caught.value.__cause__ is not None


def test_missing_aws_credentials_are_permission_denied(monkeypatch: pytest.MonkeyPatch, refused_port: int) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = f"http://127.0.0.1:{refused_port}"
    env = {"QUEUE_ORDERS_URL": f"{endpoint}/123/orders", "TOPIC_NEWS_ARN": "arn:aws:sns:us-east-1:123:news"}
    messaging = SqsSnsMessaging(env=env, endpoint_url=endpoint)  # clients made from the environment
    store = S3ObjectStore("b", endpoint_url=endpoint)
    for call in (lambda: messaging.send("orders", "x"), lambda: messaging.publish("news", "x"), lambda: store.get("k")):
        with pytest.raises(PermissionDeniedError, match="NoCredentialsError") as caught:
            call()
        assert isinstance(caught.value, CloudFnError)


@pytest.fixture
def truncating_port() -> Iterator[int]:
    """Answers every request with 200, a body of 100 declared bytes, sends 10 and hangs up."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: image/jpeg\r\n"
                    b'ETag: "0123"\r\nx-oss-request-id: 1\r\n\r\n' + b"0123456789"
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


@pytest.mark.parametrize("name", ["s3 get", "oss get"])
@pytest.mark.parametrize("max_bytes", [None, 1000])
def test_a_connection_dropped_while_the_body_streams_is_a_driver_error(
    name: str, max_bytes: int | None, truncating_port: int
) -> None:
    if name == "s3 get":
        target: Any = S3ObjectStore("b", _aws("s3", truncating_port))
    else:
        import alibabacloud_oss_v2 as oss

        client = make_client("cn-hangzhou", f"http://127.0.0.1:{truncating_port}", "STS.k", "s", "t")
        client._client._options.retryer = oss.retry.NopRetryer()
        target = OssObjectStore("b", client)
    with pytest.raises(DriverError):
        target.get("k", max_bytes=max_bytes)
