"""The task entity and its JSON shape (the tutorial's: uuid, description, creationDate, priority)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Task:
    uuid: UUID
    description: str
    creation_date: datetime
    priority: int

    def as_dict(self) -> dict[str, Any]:
        when = self.creation_date.astimezone(timezone.utc)
        return {
            "uuid": str(self.uuid),
            "description": self.description,
            # JavaScript's Date.toISOString(), as the tutorial printed it.
            "creationDate": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "priority": self.priority,
        }
