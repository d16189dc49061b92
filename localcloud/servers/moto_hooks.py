"""What the local cloud adds to moto (5.2.5) running in this process, and why.

moto's server is in-process (``ThreadedMotoServer``), so its backends can be observed and
its IAM enforcement completed:

- **Object created**: ``moto.s3.notifications.send_event`` is called once for every object an
  S3 request creates (PutObject, POST, CopyObject, CompleteMultipartUpload), whoever sent it;
  listeners see ``(bucket, key, size, etag, event_name)``.
- **Topic message**: ``SNSBackend.publish`` to a topic ARN; listeners see ``(topic_arn,
  message_id, message, attributes)``.
- **IAM resources**: moto authorizes SNS and Secrets Manager requests against ``Resource: "*"``
  (their responses define no ``_determine_resource``), so a policy naming the topic or secret
  (least privilege, as the program writes it) would deny everything. The topic ARN (``TopicArn``
  / ``TargetArn``) and the secret ARN (``SecretId``, resolved by name) are supplied here.
- **AccessDenied over JSON**: moto answers a denied JSON-protocol request (SQS, Secrets Manager)
  with its XML error body, which botocore cannot parse (the code comes out as ``"403"``). The
  error is re-raised as the JSON error those services send: ``AccessDenied`` for SQS (its
  query-compatible code), ``AccessDeniedException`` for Secrets Manager.

The patches are installed once per process and are inert while IAM enforcement is off
(``moto.settings.INITIAL_NO_AUTH_ACTION_COUNT`` is infinite by default).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

ObjectListener = Callable[[str, str, int, str, str], None]
PublishListener = Callable[[str, str, str, dict[str, str]], None]

_lock = threading.Lock()
_installed = False
object_listeners: list[ObjectListener] = []
publish_listeners: list[PublishListener] = []


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        _install_object_hook()
        _install_publish_hook()
        _install_resources()
        _install_json_access_denied()
        _installed = True


def _install_object_hook() -> None:
    from moto.s3 import notifications

    original = notifications.send_event

    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        original(account_id, event_name, bucket, key)
        name = str(getattr(event_name, "value", event_name))
        if not name.startswith("s3:ObjectCreated:") or key is None:
            return
        for listener in list(object_listeners):
            listener(bucket.name, key.name, int(key.size), str(key.etag).strip('"'), name.removeprefix("s3:"))

    notifications.send_event = send_event  # type: ignore[assignment]


def _install_publish_hook() -> None:
    from moto.sns.models import SNSBackend

    original = SNSBackend.publish
    signature = inspect.signature(original)

    def publish(self: Any, *args: Any, **kwargs: Any) -> str:
        message_id = original(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        arn = bound.arguments.get("arn")
        if arn and ":" in arn and not bound.arguments.get("phone_number"):
            attributes = {
                k: str(v.get("StringValue", v.get("Value", v.get("BinaryValue", ""))))
                for k, v in (bound.arguments.get("message_attributes") or {}).items()
                if isinstance(v, dict)
            }
            for listener in list(publish_listeners):
                listener(arn, message_id, bound.arguments["message"], attributes)
        return message_id

    SNSBackend.publish = publish  # type: ignore[method-assign]


def _install_resources() -> None:
    from moto.secretsmanager.responses import SecretsManagerResponse
    from moto.sns.responses import SNSResponse

    def sns_resource(self: Any) -> str:
        return self._get_param("TopicArn") or self._get_param("TargetArn") or "*"

    def secret_resource(self: Any) -> str:
        secret_id = self._get_param("SecretId")
        if not secret_id:
            return "*"
        if secret_id.startswith("arn:"):
            return secret_id
        try:
            return self.backend.describe_secret(secret_id).arn
        except Exception:  # an unknown secret: the request fails on its own after authorization
            return "*"

    SNSResponse._determine_resource = sns_resource  # type: ignore[attr-defined]
    SecretsManagerResponse._determine_resource = secret_resource  # type: ignore[attr-defined]


def _install_json_access_denied() -> None:
    from moto.core.exceptions import AccessDeniedError, JsonRESTError
    from moto.core.responses import BaseResponse

    original = BaseResponse._authenticate_and_authorize_normal_action

    def authorize(self: Any, resource: str = "*") -> None:
        try:
            original(self, resource)
        except AccessDeniedError as err:
            if "json" not in (self.headers.get("Content-Type") or "").lower():
                raise
            code = (
                "AccessDenied" if "AmazonSQS" in (self.headers.get("X-Amz-Target") or "") else "AccessDeniedException"
            )
            denied = JsonRESTError(code, err.message)
            denied.code = 403
            raise denied from None

    BaseResponse._authenticate_and_authorize_normal_action = authorize  # type: ignore[method-assign]
