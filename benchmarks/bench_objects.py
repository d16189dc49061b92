"""Object storage benchmarks: event parsing, and driver overhead over the raw SDK.

    /work/venv/bin/python benchmarks/bench_objects.py [--rounds 7] [--ops 60]

1. Parsing a 100-record object-created event (S3 dict / OSS bytes) into neutral records.
2. The S3 driver against raw boto3 calls on the same client and the same local moto server
   (get, put, head of a small object), interleaved in rounds; the figure is the median of the
   per-round medians. Target: the driver adds at most 10%.
3. The same for the OSS driver against raw ``alibabacloud_oss_v2`` calls on the local OSS
   server (tests/servers/oss_server.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "tests")]

from cloudfn.events import objects  # noqa: E402

BODY = b"x" * 1024


def _s3_record(i: int) -> dict:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2024-05-02T10:15:30.250Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQ"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "c",
            "bucket": {"name": "b", "ownerIdentity": {"principalId": "A"}, "arn": "arn:aws:s3:::b"},
            "object": {
                "key": f"uploads/photo+{i}+%E6%8A%A5.jpg",
                "size": 1024 + i,
                "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                "sequencer": "0055AED6DCD90281E5",
            },
        },
    }


def _oss_record(i: int) -> dict:
    return {
        "eventName": "ObjectCreated:PutObject",
        "eventSource": "acs:oss",
        "eventTime": "2022-08-13T06:45:43.000Z",
        "eventVersion": "1.0",
        "oss": {
            "bucket": {"arn": "acs:oss:cn-hangzhou:1:b", "name": "b", "ownerIdentity": "1"},
            "object": {
                "deltaSize": 1024,
                "eTag": "688A7BF4F233DC9C88A80BF985AB7329",
                "key": f"uploads/photo {i}.jpg",
                "size": 1024 + i,
            },
            "ossSchemaVersion": "1.0",
            "ruleId": "9ada",
        },
        "region": "cn-hangzhou",
        "requestParameters": {"sourceIPAddress": "140.205.1.1"},
        "responseElements": {"requestId": "58F9FF2D3DF792092E12044C"},
        "userIdentity": {"principalId": "1"},
    }


def _per_call(fn: Callable[[], object], repeat: int) -> float:
    best = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best.append((time.perf_counter() - start) / repeat)
    return min(best)


def bench_parsing() -> list[tuple[str, float]]:
    s3_event = {"Records": [_s3_record(i) for i in range(100)]}
    oss_event = json.dumps({"events": [_oss_record(i) for i in range(100)]}).encode()
    assert len(objects.from_aws(s3_event)) == len(objects.from_ali(oss_event)) == 100
    return [
        ("S3 event, 100 records (dict -> records)", _per_call(lambda: objects.from_aws(s3_event), 200)),
        (
            "OSS event, 100 records (bytes -> records, JSON included)",
            _per_call(lambda: objects.from_ali(oss_event), 200),
        ),
    ]


def _compare(
    pairs: dict[str, tuple[Callable[[], object], Callable[[], object]]], rounds: int, ops: int
) -> list[tuple[str, float, float, float]]:
    """Raw and driver calls alternate one by one, so drift on a busy machine hits both."""
    results = []
    for op, (raw, driver) in pairs.items():
        for _ in range(10):  # warm connections and caches
            raw()
            driver()
        raw_medians, drv_medians = [], []
        for r in range(rounds):
            raw_samples, drv_samples = [], []
            for i in range(ops):
                order = ((raw, raw_samples), (driver, drv_samples))
                for fn, sink in order if (i + r) % 2 else order[::-1]:
                    start = time.perf_counter()
                    fn()
                    sink.append(time.perf_counter() - start)
            raw_medians.append(statistics.median(raw_samples))
            drv_medians.append(statistics.median(drv_samples))
        raw_s, drv_s = statistics.median(raw_medians), statistics.median(drv_medians)
        results.append((op, raw_s, drv_s, (drv_s - raw_s) / raw_s * 100))
    return results


def bench_s3(rounds: int, ops: int) -> list[tuple]:
    import boto3
    from moto.server import ThreadedMotoServer

    from cloudfn.drivers.s3 import S3ObjectStore

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        client = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket="bench")
        client.put_object(Bucket="bench", Key="read.bin", Body=BODY)
        store = S3ObjectStore("bench", client)

        def raw_get() -> bytes:
            return client.get_object(Bucket="bench", Key="read.bin")["Body"].read()

        pairs = {
            "get 1 KiB": (raw_get, lambda: store.get("read.bin")),
            "put 1 KiB": (
                lambda: client.put_object(Bucket="bench", Key="w.bin", Body=BODY),
                lambda: store.put("w.bin", BODY),
            ),
            "head": (lambda: client.head_object(Bucket="bench", Key="read.bin"), lambda: store.head("read.bin")),
        }
        return _compare(pairs, rounds, ops)
    finally:
        server.stop()


def bench_s3_stubbed(calls: int = 2000) -> list[tuple[str, float, float]]:
    """Driver cost in isolation: the same boto3 client answering from botocore's Stubber, so
    no server and no network noise; what remains is SDK client work plus the driver's own."""
    from datetime import datetime, timezone

    import boto3
    from botocore.stub import Stubber

    from cloudfn.drivers.s3 import S3ObjectStore

    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    store = S3ObjectStore("bench", client)
    head = {
        "ContentLength": 1024,
        "ETag": '"d41d8cd98f00b204e9800998ecf8427e"',
        "LastModified": datetime(2024, 1, 1, tzinfo=timezone.utc),
        "ContentType": "text/plain",
    }
    cases = {
        "head": (
            "head_object",
            head,
            {"Bucket": "bench", "Key": "k"},
            lambda: client.head_object(Bucket="bench", Key="k"),
            lambda: store.head("k"),
        ),
        "put 1 KiB": (
            "put_object",
            {"ETag": '"d41d8cd98f00b204e9800998ecf8427e"'},
            {"Bucket": "bench", "Key": "k", "Body": BODY},
            lambda: client.put_object(Bucket="bench", Key="k", Body=BODY),
            lambda: store.put("k", BODY),
        ),
    }
    out = []
    for op, (method, response, params, raw, driver) in cases.items():
        timings = []
        for fn in (raw, driver) * 5:  # alternate, keep each side's best: load noise only adds
            with Stubber(client) as stub:
                for _ in range(calls):
                    stub.add_response(method, response, params)
                start = time.perf_counter()
                for _ in range(calls):
                    fn()
                timings.append((time.perf_counter() - start) / calls)
        out.append((op, min(timings[0::2]), min(timings[1::2])))
    return out


def bench_oss(rounds: int, ops: int) -> list[tuple]:
    import alibabacloud_oss_v2 as oss
    from servers.oss_server import OssServer

    from cloudfn.drivers.oss import OssObjectStore, make_client

    with OssServer("cn-hangzhou") as server:
        server.add_credentials("STS.bench", "secret", "token")
        server.create_bucket("bench")
        client = make_client("cn-hangzhou", server.endpoint, "STS.bench", "secret", "token")
        store = OssObjectStore("bench", client)
        store.put("read.bin", BODY)

        def raw_get() -> bytes:
            with client.get_object(oss.GetObjectRequest(bucket="bench", key="read.bin")).body as body:
                return body.read()

        pairs = {
            "get 1 KiB": (raw_get, lambda: store.get("read.bin")),
            "put 1 KiB": (
                lambda: client.put_object(oss.PutObjectRequest(bucket="bench", key="w.bin", body=BODY)),
                lambda: store.put("w.bin", BODY),
            ),
            "head": (
                lambda: client.head_object(oss.HeadObjectRequest(bucket="bench", key="read.bin")),
                lambda: store.head("read.bin"),
            ),
        }
        return _compare(pairs, rounds, ops)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ops", type=int, default=60)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}\n")
    print("| Event parsing | per event | per record |")
    print("|---|---:|---:|")
    for name, seconds in bench_parsing():
        print(f"| {name} | {seconds * 1e6:.0f} µs | {seconds * 1e4:.2f} µs |")
    print()
    print("| S3 driver vs raw boto3, client stubbed (no server) | raw SDK | driver | driver's own cost |")
    print("|---|---:|---:|---:|")
    for op, raw, drv in bench_s3_stubbed():
        own = f"{(drv - raw) * 1e6:+.0f} µs ({(drv - raw) / raw * 100:+.1f}%)"
        print(f"| {op} | {raw * 1e6:.0f} µs | {drv * 1e6:.0f} µs | {own} |")
    print()
    for label, bench in (
        ("S3 driver vs raw boto3 (local moto server)", bench_s3),
        ("OSS driver vs raw alibabacloud-oss-v2 (local OSS server)", bench_oss),
    ):
        print(f"| {label} | raw SDK (median) | driver (median) | overhead |")
        print("|---|---:|---:|---:|")
        for op, raw, drv, pct in bench(args.rounds, args.ops):
            print(f"| {op} | {raw * 1e3:.2f} ms | {drv * 1e3:.2f} ms | {pct:+.1f}% |")
        print()


if __name__ == "__main__":
    main()
