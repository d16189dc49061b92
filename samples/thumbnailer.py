"""thumbnailer: the tutorial's migration example, one codebase on both clouds.

An object created under ``images/`` triggers the function; it writes a 200x200 thumbnail under
``thumbnails/`` in the same bucket and sends one result message to a queue.
"""

from __future__ import annotations

from typing import Any

from components.app import Application
from components.bucket import Bucket, BucketArgs
from components.errors import invalid
from components.function import FunctionArgs, ServerlessFunction
from components.queue import Queue, QueueArgs
from samples.registry import sample

BUCKET_BINDING = "images"
QUEUE_BINDING = "results"


def validate_prefixes(input_prefix: str, output_prefix: str) -> None:
    """The two prefixes must be disjoint, in both directions.

    - output inside input (``images/`` and ``images/thumbs/``): every thumbnail written would
      trigger the function again, forever;
    - input inside output (``media/in/`` and ``media/``): every uploaded image would be taken for
      a thumbnail and skipped, so nothing would ever be thumbnailed.
    """
    if not output_prefix:
        raise invalid("thumbnailer output_prefix", output_prefix, "a non-empty prefix such as 'thumbnails/'")
    if output_prefix.startswith(input_prefix):
        raise invalid(
            "thumbnailer output_prefix",
            output_prefix,
            f"a prefix outside the input prefix {input_prefix!r}, or every thumbnail would re-trigger the function",
        )
    if input_prefix.startswith(output_prefix):
        raise invalid(
            "thumbnailer input_prefix",
            input_prefix,
            f"a prefix outside the output prefix {output_prefix!r}, or every image would be taken for a "
            "thumbnail and skipped",
        )


@sample("thumbnailer")
def build(app: Application, input_prefix: str = "images/", output_prefix: str = "thumbnails/") -> dict[str, Any]:
    validate_prefixes(input_prefix, output_prefix)
    fn = ServerlessFunction(
        "thumbnailer",
        FunctionArgs(
            code="thumbnailer",
            memory_mb=512,
            timeout_s=60,
            description="Writes 200x200 thumbnails and reports each batch",
            environment={
                "THUMBNAILS_BUCKET_BINDING": BUCKET_BINDING,
                "THUMBNAILS_QUEUE_BINDING": QUEUE_BINDING,
                "THUMBNAILS_INPUT_PREFIX": input_prefix,
                "THUMBNAILS_OUTPUT_PREFIX": output_prefix,
            },
        ),
    )
    bucket = Bucket("images", BucketArgs(force_destroy=app.settings.throwaway))
    results = Queue("thumbnail-results", QueueArgs())
    bucket.grant_read(fn, BUCKET_BINDING)
    bucket.grant_write(fn, BUCKET_BINDING)
    results.grant_send(fn, QUEUE_BINDING)
    bucket.on_object_created(fn, prefix=input_prefix)
    return {"functions": {"thumbnailer": fn.function_name}, "bucket": bucket.bucket_name}
