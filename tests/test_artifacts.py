"""Function code stored by content: the artifact buckets, their objects, and the functions' code
inputs on both stacks (Pulumi mocks), the size limits, and the CRC-64 FC checks."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pulumi
import pytest
from pulumi_harness import deploy, resolve

from components import artifacts, content, packaging
from components.content import CodeArtifact, crc64_ecma
from components.function import FunctionArgs, ServerlessFunction
from components.paths import FUNCTIONS_DIR
from samples import compose

ROOT = Path(__file__).resolve().parent.parent
APP_CONFIG = {"aws": None, "ali": {"dbPassword": "Test-Passw0rd"}}
FUNCTION_TYPE = {"aws": "aws:lambda/function:Function", "ali": "alicloud:fc/v3Function:V3Function"}
OBJECT_TYPE = {"aws": "aws:s3/bucketObjectv2:BucketObjectv2", "ali": "alicloud:oss/bucketObject:BucketObject"}
BUCKET_TYPE = {"aws": "aws:s3/bucket:Bucket", "ali": "alicloud:oss/bucket:Bucket"}


def _one(app, name: str = "hello", code: str = "basic"):
    return {"fn": ServerlessFunction(name, FunctionArgs(code=code))}


def _reference_crc64(data: bytes) -> int:
    """Alibaba's own implementation (the OSS SDK's, crcmod in C): independent of ours, and fast."""
    from alibabacloud_oss_v2.crc import Crc64

    crc = Crc64(0)
    crc.update(data)
    return crc._crc.crcValue


def _file_digests(path: Path) -> dict[str, str]:
    data = path.read_bytes()
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5_b64": base64.b64encode(hashlib.md5(data).digest()).decode(),
        "crc64": str(_reference_crc64(data)),
    }


@pytest.fixture
def store_everything_on_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lambda's direct-upload limit lowered to 1 KiB: every zip takes the S3 path on AWS."""
    monkeypatch.setitem(artifacts.LIMITS, "aws", artifacts.LIMITS["aws"].__class__(1024, None, 250 * 2**20, "test"))


# -- CRC-64 as OSS computes it -------------------------------------------------------------------


def test_crc64_known_vectors() -> None:
    # CRC-64/XZ check value (the catalogue's "123456789"), the empty string, and one byte.
    assert crc64_ecma(b"123456789") == 0x995DC9BBDF1939FA
    assert crc64_ecma(b"") == 0
    assert crc64_ecma(b"a") == 0x330284772E652B05


def test_crc64_matches_alibabas_sdk_at_every_alignment() -> None:
    rng = random.Random(7)
    for size in [*range(0, 19), 1000, 65_537]:
        data = rng.randbytes(size)
        assert crc64_ecma(data) == _reference_crc64(data), size
    # Streaming: continuing from an earlier value equals one pass.
    data = rng.randbytes(10_001)
    assert crc64_ecma(data[3333:], crc64_ecma(data[:3333])) == crc64_ecma(data)


def test_crc64_is_what_the_local_oss_server_reports_for_a_real_zip(oss, tmp_path: Path) -> None:
    import alibabacloud_oss_v2 as osssdk

    from cloudfn.drivers.oss import make_client

    d = deploy("ali", _one)
    fn = d.one(FUNCTION_TYPE["ali"])
    obj = d.one(OBJECT_TYPE["ali"])
    client = make_client(oss.region, oss.endpoint, oss.access_key_id, oss.access_key_secret, oss.security_token)
    body = Path(obj.inputs["source"]).read_bytes()
    result = client.put_object(osssdk.PutObjectRequest(bucket=oss.bucket, key=obj.inputs["key"], body=body))
    assert result.hash_crc64 == fn.inputs["code"]["checksum"]


# -- exact wiring ---------------------------------------------------------------------------------


def test_ali_code_lives_in_a_private_encrypted_oss_bucket_by_content() -> None:
    d = deploy("ali", _one)
    component = d.outputs["fn"]
    suffix = component.physical_name.rsplit("-", 1)[1]
    digests = _file_digests(component.artifact.path)
    bucket = d.one(BUCKET_TYPE["ali"])
    assert bucket.name == "artifacts"
    assert bucket.inputs == {
        "bucket": f"artifacts--{suffix}",
        "storageClass": "Standard",
        "serverSideEncryptionRule": {"sseAlgorithm": "AES256"},
        "forceDestroy": True,
    }
    assert d.one("alicloud:oss/bucketAcl:BucketAcl").inputs == {"bucket": f"artifacts--{suffix}", "acl": "private"}
    assert d.one("alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs == {
        "bucket": f"artifacts--{suffix}",
        "blockPublicAccess": True,
    }
    obj = d.one(OBJECT_TYPE["ali"], "hello-code")
    key = f"hello/{digests['sha256']}.zip"
    assert obj.inputs == {
        "bucket": f"artifacts--{suffix}",
        "key": key,
        "source": str(Path(os.environ["CLOUDFN_BUILD_DIR"]) / "content" / f"{digests['sha256']}.zip"),
        "contentMd5": digests["md5_b64"],
        "contentType": "application/zip",
        "acl": "private",
        "serverSideEncryption": "AES256",
    }
    assert _file_digests(Path(obj.inputs["source"])) == digests
    fn = d.one(FUNCTION_TYPE["ali"], "hello")
    assert fn.inputs["code"] == {
        "ossBucketName": f"artifacts--{suffix}",
        "ossObjectName": key,
        "checksum": digests["crc64"],
    }


def test_aws_small_zip_stays_a_file_archive_and_no_bucket_exists() -> None:
    d = deploy("aws", _one)
    component = d.outputs["fn"]
    fn = d.one(FUNCTION_TYPE["aws"], "hello")
    digests = _file_digests(component.artifact.path)
    assert isinstance(fn.inputs["code"], pulumi.FileArchive)
    assert _file_digests(Path(fn.inputs["code"].path)) == digests
    assert fn.inputs["sourceCodeHash"] == base64.b64encode(bytes.fromhex(digests["sha256"])).decode()
    assert "s3Bucket" not in fn.inputs and "s3Key" not in fn.inputs
    assert d.of_type(BUCKET_TYPE["aws"]) == [] and d.of_type(OBJECT_TYPE["aws"]) == []
    assert not [r for r in d.resources if r.type == artifacts.TYPE]


def test_aws_large_zip_goes_to_a_private_encrypted_s3_bucket_by_content(store_everything_on_aws: None) -> None:
    d = deploy("aws", _one)
    component = d.outputs["fn"]
    suffix = component.physical_name.rsplit("-", 1)[1]
    digests = _file_digests(component.artifact.path)
    name = f"artifacts--{suffix}"
    assert d.one(BUCKET_TYPE["aws"]).inputs == {"bucket": name, "forceDestroy": True}
    assert d.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs == {
        "bucket": name,
        "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
    }
    assert d.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs == {
        "bucket": name,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    assert d.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs == {
        "bucket": name,
        "rule": {"objectOwnership": "BucketOwnerEnforced"},
    }
    obj = d.one(OBJECT_TYPE["aws"], "hello-code")
    key = f"hello/{digests['sha256']}.zip"
    source = obj.inputs.pop("source")
    assert isinstance(source, pulumi.FileAsset) and _file_digests(Path(source.path)) == digests
    assert obj.inputs == {
        "bucket": name,
        "key": key,
        "sourceHash": digests["sha256"],
        "checksumAlgorithm": "SHA256",
        "contentType": "application/zip",
        "serverSideEncryption": "AES256",
    }
    fn = d.one(FUNCTION_TYPE["aws"], "hello")
    assert (fn.inputs["s3Bucket"], fn.inputs["s3Key"]) == (name, key)
    assert fn.inputs["sourceCodeHash"] == base64.b64encode(bytes.fromhex(digests["sha256"])).decode()
    assert "code" not in fn.inputs


def test_one_bucket_per_stack_and_one_object_per_function(cloud: str, store_everything_on_aws: None) -> None:
    d = deploy(cloud, lambda app: {n: ServerlessFunction(n, FunctionArgs(code="basic")) for n in ("one", "two")})
    assert len(d.of_type(BUCKET_TYPE[cloud])) == 1
    objects = {o.name: o.inputs["key"] for o in d.of_type(OBJECT_TYPE[cloud])}
    sha = d.outputs["one"].code.sha256_hex
    # Identical zips, yet one object each: deleting one function never deletes the other's code.
    assert objects == {"one-code": f"one/{sha}.zip", "two-code": f"two/{sha}.zip"}


def test_function_urns_and_object_parents_are_stable(cloud: str, store_everything_on_aws: None) -> None:
    d = deploy(cloud, _one)
    component = d.outputs["fn"]
    fn_type = FUNCTION_TYPE[cloud]
    # The function resource keeps the URN it had before code moved to the artifact bucket.
    assert resolve(component.native.function.urn) == (
        f"urn:pulumi:{cloud}::multicloud::multicloud:index:ServerlessFunction${fn_type}::hello"
    )
    # The object is the function's child, so the function's name is in its URN and in every
    # error the provider reports for it (a bucket in another region, a refused upload).
    obj = next(r for r in d.resources if r.type == OBJECT_TYPE[cloud])
    assert obj.name == "hello-code"


def test_replacement_is_create_before_delete_and_kept_only_when_asked(
    cloud: str, store_everything_on_aws: None
) -> None:
    seen: dict[str, pulumi.ResourceOptions] = {}

    def program(app):
        def record(args: pulumi.ResourceTransformationArgs):
            seen[args.type_] = args.opts
            return None

        pulumi.runtime.register_stack_transformation(record)
        return _one(app)

    deploy(cloud, program)
    assert seen[OBJECT_TYPE[cloud]].delete_before_replace is False
    assert not seen[OBJECT_TYPE[cloud]].retain_on_delete and not seen[BUCKET_TYPE[cloud]].retain_on_delete
    d = deploy(cloud, program, {"keepArtifacts": "true"})
    assert seen[OBJECT_TYPE[cloud]].retain_on_delete is True and seen[BUCKET_TYPE[cloud]].retain_on_delete is True
    assert d.one(BUCKET_TYPE[cloud]).inputs["forceDestroy"] is False


def test_bad_keep_artifacts_is_refused(cloud: str) -> None:
    with pytest.raises(pulumi.RunError, match=r"config 'keepArtifacts': got 'yes'; true or false"):
        deploy(cloud, _one, {"keepArtifacts": "yes"})


def _policy_documents(d) -> list[str]:
    docs = [json.dumps(r.json("policy")) for r in d.of_type("aws:iam/rolePolicy:RolePolicy")]
    docs += [json.dumps(r.json("policyDocument")) for r in d.of_type("alicloud:ram/policy:Policy")]
    docs += [json.dumps(r.json("policy")) for r in d.of_type("aws:s3/bucketPolicy:BucketPolicy")]
    return docs


def test_every_sample_deploys_from_content_addressed_code_and_no_function_can_read_it(
    cloud: str, store_everything_on_aws: None
) -> None:
    d = deploy(cloud, compose, APP_CONFIG[cloud])
    bucket = d.one(BUCKET_TYPE[cloud], "artifacts").inputs["bucket"]
    objects = {o.inputs["key"]: o for o in d.of_type(OBJECT_TYPE[cloud]) if o.inputs["bucket"] == bucket}
    functions = d.of_type(FUNCTION_TYPE[cloud])
    assert len(functions) >= 8 and len(objects) == len(functions)
    for fn in functions:
        if cloud == "ali":
            code = fn.inputs["code"]
            assert code["ossBucketName"] == bucket
            obj = objects[code["ossObjectName"]]
            digests = _file_digests(Path(obj.inputs["source"]))
            assert code == {
                "ossBucketName": bucket,
                "ossObjectName": code["ossObjectName"],
                "checksum": digests["crc64"],
            }
            assert obj.inputs["contentMd5"] == digests["md5_b64"]
        else:
            assert fn.inputs["s3Bucket"] == bucket
            obj = objects[fn.inputs["s3Key"]]
            digests = _file_digests(Path(obj.inputs["source"].path))
            assert obj.inputs["sourceHash"] == digests["sha256"]
        assert obj.name == f"{fn.name}-code"
        assert obj.inputs["key"] == f"{fn.name}/{digests['sha256']}.zip"
        with zipfile.ZipFile(Path(obj.inputs["source"] if cloud == "ali" else obj.inputs["source"].path)) as zf:
            assert f"{fn.inputs['handler'].split('.')[0]}.py" in zf.namelist()
    # Least privilege: no function (nor anything else) is granted the artifact bucket.
    documents = _policy_documents(d)
    assert documents and not [doc for doc in documents if bucket in doc]


def _copy_function(tmp_name: str) -> Path:
    dest = FUNCTIONS_DIR / tmp_name
    shutil.copytree(FUNCTIONS_DIR / "basic", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_unchanged_zip_gives_identical_inputs_in_another_process(cloud: str, tmp_path: Path) -> None:
    """Same code, another process (other PYTHONHASHSEED), other mtimes: the same code inputs."""
    script = tmp_path / "run.py"
    script.write_text(
        "import json, sys\n"
        f"sys.path[:0] = {[str(ROOT), str(ROOT / 'tests'), str(ROOT / 'functions')]!r}\n"
        "from pulumi_harness import deploy\n"
        "from components.function import FunctionArgs, ServerlessFunction\n"
        f"d = deploy({cloud!r}, lambda app: {{'fn': ServerlessFunction('zz-art', FunctionArgs(code='zz_art'))}})\n"
        "def plain(v):\n"
        "    return getattr(v, 'path', v) if not isinstance(v, dict) else {k: plain(x) for k, x in v.items()}\n"
        "mine = {r.name: plain(r.inputs) for r in d.resources if r.name.startswith('zz-art')}\n"
        "print(json.dumps(mine, default=str))\n"
    )
    folder = _copy_function("zz_art")
    try:
        runs = []
        for seed, mtime in (("1", 1_000_000_000), ("2", 1_700_000_000)):
            for f in folder.rglob("*"):
                os.utime(f, (mtime, mtime))
            out = subprocess.run(
                [sys.executable, str(script)],
                env={**os.environ, "PYTHONHASHSEED": seed},
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        assert runs[0] == runs[1]
        code_inputs = runs[0]["zz-art"].get("code") or runs[0]["zz-art"]
        assert code_inputs
        # A changed zip: a new key (the object is replaced), the same logical names.
        (folder / "zz_art_extra.py").write_text("X = 1\n")
        changed = json.loads(
            subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        assert set(changed) == set(runs[0])
        if cloud == "ali":
            assert changed["zz-art-code"]["key"] != runs[0]["zz-art-code"]["key"]
            assert changed["zz-art"]["code"]["ossObjectName"] == changed["zz-art-code"]["key"]
            assert changed["zz-art"]["code"]["checksum"] != runs[0]["zz-art"]["code"]["checksum"]
        else:
            assert changed["zz-art"]["sourceCodeHash"] != runs[0]["zz-art"]["sourceCodeHash"]
    finally:
        shutil.rmtree(folder)


def test_functions_sharing_a_folder_share_one_build_per_run(cloud: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One build, description and re-hash per code folder and run; each function still gets its
    own object and its own name in errors. The next run (same process: tests, automation) reads
    the folder again."""
    built: list[str] = []
    real = packaging.build

    def counting(function_dir: Path, *args, **kwargs):
        built.append(Path(function_dir).name)
        return real(function_dir, *args, **kwargs)

    monkeypatch.setattr(packaging, "build", counting)
    names = ("one", "two", "three")

    def program(app):
        return {n: ServerlessFunction(n, FunctionArgs(code="zz_shared")) for n in names}

    folder = _copy_function("zz_shared")
    try:
        first = deploy(cloud, program)
        assert built == ["zz_shared"]
        codes = [first.outputs[n].code for n in names]
        assert [c.function for c in codes] == list(names)
        assert len({(c.path, c.sha256_hex) for c in codes}) == 1
        if cloud == "ali":
            keys = sorted(o.inputs["key"] for o in first.of_type(OBJECT_TYPE[cloud]))
            assert keys == sorted(f"{n}/{codes[0].sha256_hex}.zip" for n in names)
        (folder / "zz_extra.py").write_text("X = 1\n")
        second = deploy(cloud, program)
        assert built == ["zz_shared", "zz_shared"]
        assert second.outputs["two"].code.sha256_hex != codes[1].sha256_hex
    finally:
        shutil.rmtree(folder)


# -- limits and bad input -----------------------------------------------------------------------


# Lambda: no zipped limit through S3 (the unzipped one bounds it); FC: no documented unzipped limit.
@pytest.mark.parametrize(("cloud", "what"), [("aws", "unzipped"), ("ali", "zip")])
def test_code_beyond_the_clouds_limit_fails_before_any_resource(
    cloud: str, what: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = artifacts.LIMITS[cloud]
    probe = deploy(cloud, _one).outputs["fn"].code
    if what == "zip":
        limit = probe.size - 1
        monkeypatch.setitem(artifacts.LIMITS, cloud, limits.__class__(limits.direct_zip, limit, limits.unzipped, "L"))
        needles = [f"its zip is {probe.size / 2**20:.1f} MiB ({probe.size} bytes)", f"({limit} bytes)"]
    else:
        limit = probe.unzipped - 1
        monkeypatch.setitem(artifacts.LIMITS, cloud, limits.__class__(limits.direct_zip, None, limit, "L"))
        needles = [f"({probe.unzipped} bytes) unzipped", f"({limit} bytes)"]
    registered: list[str] = []

    def program(app):
        def record(args: pulumi.ResourceTransformationArgs):
            registered.append(args.name)

        pulumi.runtime.register_stack_transformation(record)
        return _one(app)

    with pytest.raises(pulumi.RunError) as err:
        deploy(cloud, program)
    message = str(err.value)
    assert "function 'hello'" in message
    for needle in needles:
        assert needle in message, message
    assert registered == []  # not even the function's component


def test_documented_limits_are_the_platforms() -> None:
    assert artifacts.LIMITS["aws"].direct_zip == 52_428_800  # GetAccountSettings CodeSizeZipped
    assert artifacts.LIMITS["aws"].unzipped == 262_144_000  # CodeSizeUnzipped
    assert artifacts.LIMITS["ali"].stored_zip == 500_000_000
    assert artifacts.LIMITS["ali"].direct_zip is None  # never inline: the state would hold the zip


def test_a_zip_changed_after_it_was_described_is_refused_naming_the_function(
    cloud: str, monkeypatch: pytest.MonkeyPatch, store_everything_on_aws: None
) -> None:
    real = artifacts.prepare

    def tampered(function, zip_path, cl, cache_dir, base=None) -> CodeArtifact:
        code = real(function, zip_path, cl, cache_dir, base)
        copy = Path(cache_dir) / "tampered.zip"
        copy.write_bytes(code.path.read_bytes() + b"\0")  # the zip changed between build and upload
        return CodeArtifact(**{**code.__dict__, "path": copy})

    monkeypatch.setattr(artifacts, "prepare", tampered)
    with pytest.raises(pulumi.RunError) as err:
        deploy(cloud, _one)
    assert "function 'hello'" in str(err.value) and "changed after it was built" in str(err.value)


def test_describe_recomputes_when_the_zip_changes(tmp_path: Path) -> None:
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("a.py", "A = 1\n" * 100)
    first = content.describe("f", zpath, tmp_path)
    assert first.unzipped == 600 and first.sha256_hex == hashlib.sha256(zpath.read_bytes()).hexdigest()
    size = zpath.stat().st_size
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("a.py", "A = 2\n" * 100)
    assert zpath.stat().st_size == size  # same size: only the modification time tells them apart
    os.utime(zpath, ns=(1, 1))
    second = content.describe("f", zpath, tmp_path)
    assert second.sha256_hex == hashlib.sha256(zpath.read_bytes()).hexdigest() != first.sha256_hex
    assert second.path.read_bytes() == zpath.read_bytes()
    assert second.crc64 == str(_reference_crc64(zpath.read_bytes()))


def _zip_with(path: Path, text: str) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.py", text)


def test_a_settled_zip_is_checked_by_its_signature_and_a_rewritten_one_by_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check before hand-over costs a stat while the content copy is as hashed; the same
    size written over it with its mtime restored (``cp -p``, ``touch -r``) is still caught."""
    monkeypatch.setattr(content, "RACY_NS", 0)  # the files here are seconds old at most
    zpath = tmp_path / "a.zip"
    _zip_with(zpath, "A = 1\n" * 100)
    content.describe("f", zpath, tmp_path)  # the build's first run: hashes, links, records
    hashed: list[Path] = []
    real = content.sha256_of

    def counting(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(content, "sha256_of", counting)
    monkeypatch.setattr(artifacts, "sha256_of", counting)
    code = content.describe("f", zpath, tmp_path)  # a warm run
    assert code.signature == content.signature(code.path)
    artifacts.verify(code)
    assert hashed == []

    st = code.path.stat()
    other = tmp_path / "other.zip"
    _zip_with(other, "A = 2\n" * 100)
    assert other.stat().st_size == st.st_size
    code.path.write_bytes(other.read_bytes())  # the same inode: the build's zip changes too
    os.utime(code.path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (code.path.stat().st_size, code.path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    with pytest.raises(pulumi.RunError, match="changed after it was built"):
        artifacts.verify(code)
    assert hashed == [code.path]
    # The next run sees the change too: the sidecar no longer describes the zip.
    again = content.describe("f", zpath, tmp_path)
    assert again.sha256_hex == hashlib.sha256(zpath.read_bytes()).hexdigest() != code.sha256_hex


def test_a_signature_taken_right_after_a_write_is_not_trusted(tmp_path: Path) -> None:
    """Within RACY_NS of the last write, a second write in the same clock tick could leave the
    signature as it was: such a zip is hashed again at hand-over, and its signature kept only
    once it has settled."""
    zpath = tmp_path / "a.zip"
    _zip_with(zpath, "A = 1\n")
    code = content.describe("f", zpath, tmp_path)
    assert code.signature is None
    sidecar = json.loads(zpath.with_name(zpath.name + ".content.json").read_text())
    assert sidecar["signature"] is None and sidecar["stored_signature"] is None
    artifacts.verify(code)  # hashed: the right bytes


def test_source_is_relative_to_the_program_directory_when_under_it(tmp_path: Path) -> None:
    """Another checkout of the same code hands Pulumi the same path: no diff."""
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("a.py", "A = 1\n")
    inside = content.describe("f", zpath, tmp_path / ".build", base=tmp_path)
    assert inside.source == f".build/content/{inside.sha256_hex}.zip"
    outside = content.describe("f", zpath, tmp_path / ".build", base=tmp_path / "elsewhere")
    assert outside.source == str(tmp_path / ".build" / "content" / f"{inside.sha256_hex}.zip")


def test_upload_waits_for_the_locked_bucket_and_the_function_for_the_upload(
    cloud: str, store_everything_on_aws: None
) -> None:
    from tools.capture import recording

    with recording() as regs:
        deploy(cloud, _one)
    by_name = {(r.type, r.name): r for r in regs}
    obj = by_name[(OBJECT_TYPE[cloud], "hello-code")]
    fn = by_name[(FUNCTION_TYPE[cloud], "hello")]
    block_type = {
        "aws": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "ali": "alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock",
    }[cloud]
    block = by_name[(block_type, "artifacts-public-access-block")]
    # Uploaded only once public access is blocked (which itself follows the ACL/encryption).
    assert block.urn in obj.dependencies
    # The function is created or updated only once its object exists.
    code_key = "code" if cloud == "ali" else "s3Key"
    assert fn.property_dependencies[code_key] == [obj.urn]
