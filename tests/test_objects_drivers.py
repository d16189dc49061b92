"""ObjectStore adapters over real protocols: S3 against moto's server, OSS against tests/servers.

The same contract runs against both adapters and the in-memory fake, so the business logic
can rely on identical semantics on each cloud.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from cloudfn.drivers import objectstore
from cloudfn.drivers.objectstore import ObjectStore, read_bounded
from cloudfn.drivers.oss import OssObjectStore, make_client
from cloudfn.drivers.s3 import S3ObjectStore
from cloudfn.errors import (
    ConflictError,
    DriverError,
    NotFoundError,
    PermissionDeniedError,
    SettingError,
    ThrottledError,
    TooLargeError,
)
from cloudfn.testing import MemoryObjectStore

SPECIAL_KEY = "dir with space/a+b=c 100%25 报告-été.txt"


def _s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture(params=["s3", "oss", "memory"])
def store(request: pytest.FixtureRequest) -> ObjectStore:
    if request.param == "s3":
        endpoint = request.getfixturevalue("aws_env")
        client = _s3_client(endpoint)
        client.create_bucket(Bucket="files-test")
        return S3ObjectStore("files-test", client, page_size=2)
    if request.param == "oss":
        oss = request.getfixturevalue("oss")
        client = make_client(oss.region, oss.endpoint, oss.access_key_id, oss.access_key_secret, oss.security_token)
        return OssObjectStore(oss.bucket, client, page_size=2)
    return MemoryObjectStore("files-test")


# -- the contract ---------------------------------------------------------------------------


def test_put_get_head_round_trip_with_awkward_keys(store: ObjectStore) -> None:
    body = "sample-test-content ✓".encode()
    info = store.put(SPECIAL_KEY, body, content_type="text/plain")
    assert info.key == SPECIAL_KEY and info.size == len(body)
    assert info.etag == hashlib.md5(body).hexdigest()  # lower-case hex on every cloud
    assert store.get(SPECIAL_KEY) == body
    head = store.head(SPECIAL_KEY)
    assert (head.key, head.size, head.etag, head.content_type) == (SPECIAL_KEY, len(body), info.etag, "text/plain")
    assert head.last_modified is not None and head.last_modified.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - head.last_modified).total_seconds()) < 120


def test_str_is_stored_as_utf8_and_overwrite_replaces(store: ObjectStore) -> None:
    store.put("k.txt", "première")
    store.put("k.txt", "seconde")
    assert store.get("k.txt") == b"seconde"


def test_missing_key_is_not_found_with_the_vendor_error_chained(store: ObjectStore) -> None:
    with pytest.raises(NotFoundError, match=r"nope\.txt") as got:
        store.get("nope.txt")
    with pytest.raises(NotFoundError, match=r"nope\.txt") as headed:
        store.head("nope.txt")
    if not isinstance(store, MemoryObjectStore):
        assert got.value.__cause__ is not None and headed.value.__cause__ is not None


def test_delete_is_idempotent(store: ObjectStore) -> None:
    store.put("gone.txt", b"x")
    store.delete("gone.txt")
    store.delete("gone.txt")  # deleting a missing key succeeds, as on S3 and OSS
    with pytest.raises(NotFoundError):
        store.get("gone.txt")


def test_list_follows_pages_filters_by_prefix_and_limits(store: ObjectStore) -> None:
    keys = [f"in/{i:02d} file+{i}.txt" for i in range(5)] + ["out/x.txt", SPECIAL_KEY]
    for key in keys:
        store.put(key, key.encode())
    inside = sorted(k for k in keys if k.startswith("in/"))
    listed = list(store.list("in/"))  # page size 2: three pages
    assert [o.key for o in listed] == inside
    assert [o.size for o in listed] == [len(k.encode()) for k in inside]
    assert [o.etag for o in listed] == [hashlib.md5(o.key.encode()).hexdigest() for o in listed]
    assert [o.key for o in store.list("in/", limit=3)] == inside[:3]
    assert [o.key for o in store.list()] == sorted(keys)
    assert [o.key for o in store.list("dir with space/")] == [SPECIAL_KEY]
    assert list(store.list("none/")) == []


# -- missing buckets, credentials and factories -------------------------------------------


def test_s3_missing_bucket_is_not_found(aws_env: str) -> None:
    store = S3ObjectStore("no-such-bucket", _s3_client(aws_env))
    with pytest.raises(NotFoundError, match=r"s3://no-such-bucket/k: S3 NoSuchBucket"):
        store.get("k")


def test_oss_missing_bucket_is_not_found(oss) -> None:
    client = make_client(oss.region, oss.endpoint, oss.access_key_id, oss.access_key_secret, oss.security_token)
    with pytest.raises(NotFoundError, match=r"oss://no-such-bucket/k: OSS NoSuchBucket.*EC 0015-00000101"):
        OssObjectStore("no-such-bucket", client).get("k")


def test_from_env_picks_s3_on_aws(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _s3_client(aws_env).create_bucket(Bucket="files-env")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_env)  # what boto3 honours; Lambda needs none
    env = {"CLOUDFN_CLOUD": "aws", "BUCKET_FILES_NAME": "files-env"}
    store = objectstore.from_env("files", env)
    assert isinstance(store, S3ObjectStore) and store.bucket == "files-env"
    store.put("a.txt", b"via env")
    assert store.get("a.txt") == b"via env"


def test_from_env_picks_oss_on_ali_with_sts_credentials(oss) -> None:
    store = objectstore.from_env("files", oss.env("files"))
    assert isinstance(store, OssObjectStore) and store.bucket == oss.bucket
    store.put("a.txt", b"via env")
    assert oss.server.objects(oss.bucket) == {"a.txt": b"via env"}
    put = [r for r in oss.server.state.requests if r.method == "PUT"][-1]
    assert put.headers["x-oss-security-token"] == oss.security_token
    assert put.headers["authorization"].startswith(f"OSS4-HMAC-SHA256 Credential={oss.access_key_id}/")
    assert f"/{oss.region}/oss/aliyun_v4_request" in put.headers["authorization"]


def test_from_env_names_what_is_missing(oss) -> None:
    env = oss.env("files")
    with pytest.raises(SettingError, match="BUCKET_OTHER_NAME"):
        objectstore.from_env("other", env)
    with pytest.raises(SettingError, match="CLOUDFN_CLOUD"):
        objectstore.from_env("files", {k: v for k, v in env.items() if k != "CLOUDFN_CLOUD"})
    with pytest.raises(SettingError, match="BUCKET_FILES_REGION"):
        objectstore.from_env("files", {k: v for k, v in env.items() if k != "BUCKET_FILES_REGION"})
    with pytest.raises(SettingError, match="ALIBABA_CLOUD_ACCESS_KEY_ID"):
        objectstore.from_env("files", {k: v for k, v in env.items() if not k.startswith("ALIBABA_CLOUD_ACCESS")})


# -- OSS protocol: the server verifies V4 signatures and STS tokens -------------------------


@pytest.mark.parametrize(
    ("key_id", "secret", "token", "code"),
    [
        ("STS.NUgYrLnoC37mZZCNnAbez2ZqX", "wrong-secret", "CAIS-test-security-token", "SignatureDoesNotMatch"),
        ("STS.NUgYrLnoC37mZZCNnAbez2ZqX", "fc-role-secret", None, "InvalidAccessKeyId"),  # token missing
        ("STS.NUgYrLnoC37mZZCNnAbez2ZqX", "fc-role-secret", "stale-token", "InvalidAccessKeyId"),
        ("STS.unknown", "fc-role-secret", "CAIS-test-security-token", "InvalidAccessKeyId"),
    ],
)
def test_oss_bad_credentials_are_permission_denied(oss, key_id: str, secret: str, token: str | None, code: str) -> None:
    store = OssObjectStore(oss.bucket, make_client(oss.region, oss.endpoint, key_id, secret, token))
    with pytest.raises(PermissionDeniedError, match=rf"OSS {code}"):
        store.put("x.txt", b"x")
    assert oss.server.objects(oss.bucket) == {}


def test_oss_wrong_region_in_the_scope_is_rejected(oss) -> None:
    store = OssObjectStore(
        oss.bucket,
        make_client("cn-shanghai", oss.endpoint, oss.access_key_id, oss.access_key_secret, oss.security_token),
    )
    with pytest.raises(PermissionDeniedError, match=r"SignatureDoesNotMatch.*credential scope"):
        store.get("x.txt")


def test_oss_server_rejects_unsigned_and_tampered_requests_with_oss_error_bodies(oss) -> None:
    import xml.etree.ElementTree as ET

    url = f"{oss.endpoint}/{oss.bucket}/x.txt"
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(url, timeout=5)
    assert unsigned.value.code == 403
    root = ET.fromstring(unsigned.value.read())
    assert root.tag == "Error" and root.findtext("Code") == "AccessDenied"
    assert {c.tag for c in root} >= {"Code", "Message", "RequestId", "HostId", "EC"}
    assert unsigned.value.headers["x-oss-request-id"] == root.findtext("RequestId")
    assert unsigned.value.headers["x-oss-ec"] == root.findtext("EC")

    # Sign a PUT with the SDK's signer path, then change a signed header: the server notices.
    store = OssObjectStore(
        oss.bucket, make_client(oss.region, oss.endpoint, oss.access_key_id, oss.access_key_secret, oss.security_token)
    )
    store.put("x.txt", b"original")
    signed = [r for r in oss.server.state.requests if r.method == "PUT"][-1].headers
    request = urllib.request.Request(url, data=b"tampered", method="PUT")
    for name in ("authorization", "x-oss-date", "x-oss-content-sha256", "x-oss-security-token"):
        request.add_header(name, signed[name])
    request.add_header("Content-Type", "application/x-evil")  # content-type is a signed header
    with pytest.raises(urllib.error.HTTPError) as tampered:
        urllib.request.urlopen(request, timeout=5)
    assert tampered.value.code == 403
    root = ET.fromstring(tampered.value.read())
    assert root.findtext("Code") == "SignatureDoesNotMatch"
    assert root.findtext("StringToSign").startswith("OSS4-HMAC-SHA256\n")
    assert "content-type:application/x-evil" in root.findtext("CanonicalRequest")
    assert oss.server.objects(oss.bucket) == {"x.txt": b"original"}


def test_oss_server_rejects_stale_dates(oss) -> None:
    request = urllib.request.Request(f"{oss.endpoint}/{oss.bucket}/x.txt", method="GET")
    request.add_header(
        "Authorization",
        f"OSS4-HMAC-SHA256 Credential={oss.access_key_id}/20200101/{oss.region}/oss/aliyun_v4_request,Signature=00",
    )
    request.add_header("x-oss-date", "20200101T000000Z")
    request.add_header("Date", format_datetime(datetime(2020, 1, 1, tzinfo=timezone.utc), usegmt=True))
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 403 and b"<Code>RequestTimeTooSkewed</Code>" in err.value.read()


def test_oss_put_returns_the_crc64_the_sdk_checks(oss) -> None:
    from servers.oss_server import crc64_ecma

    assert crc64_ecma(b"123456789") == 0x995DC9BBDF1939FA  # CRC-64/XZ check value
    store = objectstore.from_env("files", oss.env("files"))
    store.put("crc.bin", bytes(range(256)) * 10)  # the SDK compares x-oss-hash-crc64ecma
    assert store.get("crc.bin") == bytes(range(256)) * 10


# -- vendor error mapping (codes moto's server cannot produce) -----------------------------


@pytest.mark.parametrize(
    ("code", "status", "neutral"),
    [
        ("AccessDenied", 403, PermissionDeniedError),
        ("SlowDown", 503, ThrottledError),
        ("InternalError", 500, DriverError),
        ("NoSuchKey", 404, NotFoundError),
    ],
)
def test_s3_error_codes_map_to_neutral_errors(code: str, status: int, neutral: type[Exception]) -> None:
    from botocore.exceptions import ClientError
    from botocore.stub import Stubber

    client = _s3_client("http://127.0.0.1:9")
    stubber = Stubber(client)
    stubber.add_client_error("get_object", service_error_code=code, http_status_code=status, service_message="m")
    with stubber, pytest.raises(neutral) as err:
        S3ObjectStore("b", client).get("k")
    assert isinstance(err.value.__cause__, ClientError)
    assert f"S3 {code}" in str(err.value)


# -- bounded reads and atomic create-if-absent (issue 11, points 2 and 5) -------------------------
def test_get_with_max_bytes_refuses_a_larger_object_and_returns_one_at_the_bound(store: ObjectStore) -> None:
    store.put("big.bin", b"x" * 5000)
    store.put("edge.bin", b"y" * 4096)
    with pytest.raises(TooLargeError, match="5000 bytes; at most 4096") as caught:
        store.get("big.bin", max_bytes=4096)
    assert (caught.value.size, caught.value.limit) == (5000, 4096)
    assert store.get("edge.bin", max_bytes=4096) == b"y" * 4096
    assert store.get("big.bin") == b"x" * 5000  # no bound: the whole object


def test_bounded_read_stops_when_the_declared_length_is_absent() -> None:
    # A stream that lies about (or omits) its length is still cut at max_bytes + 1.
    pulled: list[int] = []

    def chunks():
        for i in range(100):
            pulled.append(i)
            yield b"z" * 1000

    with pytest.raises(TooLargeError, match="over 2500 bytes"):
        read_bounded(chunks(), 2500, "get x")
    assert len(pulled) == 3  # stopped after the chunk that crossed the bound, not at 100


def test_put_if_absent_creates_once_and_never_overwrites(store: ObjectStore) -> None:
    assert store.put_if_absent("markers/m1", b"first") is True
    assert store.put_if_absent("markers/m1", b"second") is False
    assert store.get("markers/m1") == b"first"
    assert store.put_if_absent("markers/m2", "") is True


def test_put_if_absent_is_atomic_under_racing_writers(store: ObjectStore) -> None:
    # Eight threads race for each of five keys: exactly one wins each, on the real local servers.
    import threading

    wins: list[tuple[str, int]] = []
    barrier = threading.Barrier(8)

    def race(n: int) -> None:
        barrier.wait()
        for k in range(5):
            if store.put_if_absent(f"race/{k}", f"writer {n}"):
                wins.append((f"race/{k}", n))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(k for k, _ in wins) == [f"race/{k}" for k in range(5)]
    for key, n in wins:
        assert store.get(key) == f"writer {n}".encode()


def test_oss_server_honours_forbid_overwrite_as_documented(oss) -> None:
    client = make_client(oss.region, oss.endpoint, oss.access_key_id, oss.access_key_secret, oss.security_token)
    import alibabacloud_oss_v2 as sdk

    client.put_object(sdk.PutObjectRequest(bucket=oss.bucket, key="k", body=b"1", forbid_overwrite=True))
    with pytest.raises(sdk.exceptions.OperationError) as caught:
        client.put_object(sdk.PutObjectRequest(bucket=oss.bucket, key="k", body=b"2", forbid_overwrite=True))
    err = caught.value.unwrap()
    assert (err.status_code, err.code, err.ec) == (409, "FileAlreadyExists", "0026-00000201")
    client.put_object(sdk.PutObjectRequest(bucket=oss.bucket, key="k", body=b"3", forbid_overwrite=False))
    assert oss.server.objects(oss.bucket)["k"] == b"3"


def test_s3_put_if_absent_retries_a_concurrent_conditional_write_conflict() -> None:
    # S3 answers 409 ConditionalRequestConflict while another conditional write to the key is in
    # flight, and documents "retry"; moto never does, so a stub client plays S3 here.
    from botocore.exceptions import ClientError

    def error(code: str, status: int) -> ClientError:
        return ClientError(
            {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject"
        )

    class Stub:
        def __init__(self, answers: list[object]) -> None:
            self.answers, self.calls = answers, []

        def put_object(self, **kwargs: object) -> dict[str, str]:
            self.calls.append(kwargs["IfNoneMatch"])
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return {"ETag": '"abc"'}

    conflict = error("ConditionalRequestConflict", 409)
    created = Stub([conflict, conflict, "ok"])
    assert S3ObjectStore("b", created).put_if_absent("k", b"x") is True
    assert created.calls == ["*", "*", "*"]
    lost = Stub([conflict, error("PreconditionFailed", 412)])
    assert S3ObjectStore("b", lost).put_if_absent("k", b"x") is False  # the other writer won
    stuck = Stub([conflict] * 5)
    with pytest.raises(ConflictError, match="ConditionalRequestConflict"):
        S3ObjectStore("b", stuck).put_if_absent("k", b"x")
