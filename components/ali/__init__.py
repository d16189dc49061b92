"""Alibaba Cloud backends of the neutral components, one module per kind (``components.backends``).

Imported by name, by ``Application``, only when the stack selects Alibaba Cloud.
"""

from __future__ import annotations

from typing import Any

from components.backends import collect


def account_id() -> str:
    import pulumi_alicloud as alicloud

    return alicloud.get_account().id


BACKENDS: dict[str, Any] = collect(__name__)
