"""Provider-computed outputs of the messaging resources (SQS/SNS, MNS) for the Pulumi mocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OUTPUTS: dict[str, Callable[[dict[str, Any], str, str, str], dict[str, Any]]] = {
    # SQS: the id is the queue URL; ARN and URL follow the documented formats.
    "aws:sqs/queue:Queue": lambda i, n, r, a: {
        "arn": f"arn:aws:sqs:{r}:{a}:{i.get('name', n)}",
        "url": f"https://sqs.{r}.amazonaws.com/{a}/{i.get('name', n)}",
    },
    "aws:sns/topic:Topic": lambda i, n, r, a: {"arn": f"arn:aws:sns:{r}:{a}:{i.get('name', n)}"},
    "aws:sns/topicSubscription:TopicSubscription": lambda i, n, r, a: {
        "arn": f"{i.get('topic')}:0b5e1d7e-4c1f-4a33-9c7a-{abs(hash(n)) % 10**12:012d}",
    },
    "aws:lambda/eventSourceMapping:EventSourceMapping": lambda i, n, r, a: {
        "uuid": "6f0d3c1e-0000-4000-8000-000000000000",
        "state": "Enabled",
    },
}
