"""What MNS queues and topics share: the message-operation grant and the settings of the MNS driver."""

from __future__ import annotations

from components.bindings import setting_name
from components.permissions import Grant


def message_grant(permission: str, kind: str, binding: str, arn: str, name: str, endpoint: str) -> Grant:
    """``permission`` on ``<arn>/messages`` (MNS authorises message operations there), injecting
    ``<KIND>_<BINDING>_NAME`` and ``_ENDPOINT`` for ``cloudfn.drivers.mns``."""
    return Grant(
        permission,
        [f"{arn}/messages"],
        {setting_name(kind, binding, "name"): name, setting_name(kind, binding, "endpoint"): endpoint},
    )
