"""AWS backends of the neutral components, one module per kind (``components.backends``).

Imported by name, by ``Application``, only when the stack selects AWS.
"""

from __future__ import annotations

from typing import Any

from components.backends import collect


def account_id() -> str:
    import pulumi_aws as aws

    return aws.get_caller_identity().account_id


BACKENDS: dict[str, Any] = collect(__name__)
