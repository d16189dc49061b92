"""output_object_storage: a function reads ``test.txt`` and writes ``generated_<ms>.txt``."""

from __future__ import annotations

from typing import Any

from components.app import Application
from components.bucket import Bucket, BucketArgs
from components.function import FunctionArgs, ServerlessFunction
from samples.registry import sample

BINDING = "files"  # functions/output_object_storage reads the BUCKET_FILES_* settings


@sample("output_object_storage")
def build(app: Application) -> dict[str, Any]:
    fn = ServerlessFunction(
        "output-object-storage",
        FunctionArgs(code="output_object_storage", description="Reads test.txt and writes a generated file"),
    )
    bucket = Bucket(
        "outobjstorage",
        BucketArgs(objects={"test.txt": "sample-test-content"}, force_destroy=app.settings.throwaway),
    )
    bucket.grant_read(fn, BINDING)
    bucket.grant_write(fn, BINDING)
    return {"functions": {"output": fn.function_name}, "bucket": bucket.bucket_name}
