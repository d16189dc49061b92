"""Messaging over Amazon SQS and SNS with boto3 (present in every Lambda Python runtime)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cloudfn import settings
from cloudfn.drivers.messaging import Messaging, check_message
from cloudfn.errors import DriverError, NotFoundError, PermissionDeniedError, ThrottledError

_NOT_FOUND = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFound", "NotFoundException"}
_DENIED = {"AccessDenied", "AccessDeniedException", "AuthorizationError", "KMSAccessDenied"}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestThrottled", "ThrottledException"}


# botocore raises these without an HTTP response: no credentials found, or credentials that
# cannot be used. The function's role is what is wrong.
_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError", "NoAuthTokenError"}


def _neutral(exc: Exception, what: str) -> Exception:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    message = f"{what}: {code or type(exc).__name__}: {response.get('Error', {}).get('Message', exc)}"
    if code in _NOT_FOUND:
        return NotFoundError(message)
    if code in _DENIED or type(exc).__name__ in _CREDENTIALS:
        return PermissionDeniedError(message + " (check the function's role and grants)")
    if code in _THROTTLED:
        return ThrottledError(message)
    # Everything else, including EndpointConnectionError, ConnectTimeoutError and ReadTimeoutError
    # (a dropped or slow connection): the platform's retry is the answer.
    return DriverError(message)


def _call(what: str, request: Callable[[], Any]) -> Any:
    """Run one boto3 call (client creation included) with every SDK failure made neutral."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return request()
    except (ClientError, BotoCoreError) as exc:
        raise _neutral(exc, what) from exc


class SqsSnsMessaging(Messaging):
    """``sqs`` / ``sns`` are boto3 clients (injectable for tests); made on first use otherwise."""

    def __init__(
        self,
        sqs: Any = None,
        sns: Any = None,
        *,
        env: Mapping[str, str] | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        self._sqs = sqs
        self._sns = sns
        self._env = env
        self._endpoint_url = endpoint_url

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self._endpoint_url)

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = self._client("sqs")
        return self._sqs

    @property
    def sns(self) -> Any:
        if self._sns is None:
            self._sns = self._client("sns")
        return self._sns

    def send(self, queue: str, body: str, *, attributes: Mapping[str, str] | None = None, delay_s: int = 0) -> str:
        check_message(body, attributes, delay_s)
        url = settings.binding("queue", queue, "url", self._env)
        request: dict[str, Any] = {"QueueUrl": url, "MessageBody": body, "DelaySeconds": delay_s}
        if attributes:
            request["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        return _call(f"send to queue {queue!r} ({url})", lambda: self.sqs.send_message(**request)["MessageId"])

    def publish(self, topic: str, body: str, *, attributes: Mapping[str, str] | None = None) -> str:
        check_message(body, attributes)
        arn = settings.binding("topic", topic, "arn", self._env)
        request: dict[str, Any] = {"TopicArn": arn, "Message": body}
        if attributes:
            request["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        return _call(f"publish to topic {topic!r} ({arn})", lambda: self.sns.publish(**request)["MessageId"])
