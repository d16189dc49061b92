"""trigger_object_storage: a function logs every object created in a bucket."""

from __future__ import annotations

from typing import Any

from components.app import Application
from components.bucket import Bucket, BucketArgs
from components.function import FunctionArgs, ServerlessFunction
from samples.registry import sample


@sample("trigger_object_storage")
def build(app: Application) -> dict[str, Any]:
    fn = ServerlessFunction(
        "trigger-object-storage",
        FunctionArgs(code="trigger_object_storage", description="Logs each object created in the storage bucket"),
    )
    bucket = Bucket("storage", BucketArgs(force_destroy=app.settings.throwaway))
    bucket.on_object_created(fn)
    return {"functions": {"trigger": fn.function_name}, "bucket": bucket.bucket_name}
