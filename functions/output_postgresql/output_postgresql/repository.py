"""Repository layer: task persistence behind a small port, with a PostgreSQL adapter.

The service only sees :class:`TaskRepository`; its tests give it an in-memory one (test code,
not shipped in the zip).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol
from uuid import UUID

from cloudfn.errors import NotFoundError
from output_postgresql.model import Task


class TaskRepository(Protocol):
    def list(self) -> list[Task]: ...
    def find(self, uuid: UUID) -> Task | None: ...
    def create(self, task: Task) -> None: ...
    def update(self, task: Task) -> None: ...
    def delete(self, uuids: Iterable[UUID]) -> int: ...


_COLUMNS = "uuid, description, creation_date, priority"


def _task(row: tuple[Any, ...]) -> Task:
    return Task(uuid=row[0], description=row[1], creation_date=row[2], priority=row[3])


class PgTaskRepository:
    """Tasks in the ``tasks`` table, on the invocation's connection (inside its transaction)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def list(self) -> list[Task]:
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM tasks ORDER BY modification").fetchall()
        return [_task(r) for r in rows]

    def find(self, uuid: UUID) -> Task | None:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM tasks WHERE uuid = %s", (uuid,)).fetchone()
        return _task(row) if row else None

    def create(self, task: Task) -> None:
        self.conn.execute(
            "INSERT INTO tasks (uuid, description, creation_date, priority) VALUES (%s, %s, %s, %s)",
            (task.uuid, task.description, task.creation_date, task.priority),
        )

    def update(self, task: Task) -> None:
        cur = self.conn.execute(
            "UPDATE tasks SET description = %s, creation_date = %s, priority = %s, "
            "modification = nextval('tasks_modification_seq') WHERE uuid = %s",
            (task.description, task.creation_date, task.priority, task.uuid),
        )
        if cur.rowcount != 1:
            raise NotFoundError(f"task {task.uuid} does not exist")

    def delete(self, uuids: Iterable[UUID]) -> int:
        return self.conn.execute("DELETE FROM tasks WHERE uuid = ANY(%s)", (list(uuids),)).rowcount
