"""The neutral messaging interface: send to a queue, publish to a topic, by binding name.

``queue`` and ``topic`` are the *binding* names the program granted (``queue.grant_send(fn)``
binds the queue's logical name unless told otherwise); the adapter reads what it needs from the
settings the grant injected:

========  ==========================  ==========================================
binding   AWS                         Alibaba Cloud
========  ==========================  ==========================================
queue     ``QUEUE_<B>_URL``           ``QUEUE_<B>_NAME``, ``QUEUE_<B>_ENDPOINT``
topic     ``TOPIC_<B>_ARN``           ``TOPIC_<B>_NAME``, ``TOPIC_<B>_ENDPOINT``
========  ==========================  ==========================================

Bodies are text. ``attributes`` (string key/values) travel as SQS/SNS message attributes; MNS
has no per-message attributes for queues or topics (``MessageAttributes`` is for mail/SMS
pushes only), so the MNS adapter refuses them rather than drop them: put them in the body.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from cloudfn import settings

# SQS, SNS and MNS all take at most 256 KiB on AWS and 64 KiB on MNS; checked per adapter.
MAX_DELAY_S = 900  # SQS's limit; MNS allows more, the interface stays portable


class Messaging(ABC):
    """Send and publish text messages. Methods return the service's message id."""

    @abstractmethod
    def send(self, queue: str, body: str, *, attributes: Mapping[str, str] | None = None, delay_s: int = 0) -> str: ...

    @abstractmethod
    def publish(self, topic: str, body: str, *, attributes: Mapping[str, str] | None = None) -> str: ...


def check_message(body: object, attributes: Mapping[str, str] | None, delay_s: int = 0) -> None:
    """Reject what no adapter could send, before any request."""
    if not isinstance(body, str):
        raise TypeError(f"message body must be str; got {type(body).__name__} (encode binary data as base64)")
    if not isinstance(delay_s, int) or isinstance(delay_s, bool) or not 0 <= delay_s <= MAX_DELAY_S:
        raise ValueError(f"delay_s must be 0..{MAX_DELAY_S} seconds; got {delay_s!r}")
    for key, value in (attributes or {}).items():
        if not isinstance(key, str) or not isinstance(value, str) or not key:
            raise TypeError(f"message attributes must be non-empty str keys to str values; got {key!r}: {value!r}")


def from_env(env: Mapping[str, str] | None = None) -> Messaging:
    """The adapter for the cloud this function was deployed to (``CLOUDFN_CLOUD``)."""
    if settings.current_cloud(env) == "aws":
        from cloudfn.drivers.sqs_sns import SqsSnsMessaging

        return SqsSnsMessaging(env=env)
    from cloudfn.drivers.mns import MnsMessaging

    return MnsMessaging(env=env)
