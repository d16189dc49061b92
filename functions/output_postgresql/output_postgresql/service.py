"""Service layer: the tutorial's SampleService flow, step for step, with its log lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from output_postgresql.model import Task
from output_postgresql.repository import TaskRepository

# The tutorial's data (see its logs): two tasks created on 2019-04-13.
NEW_TASKS = (
    ("Buy new battery", datetime(2019, 4, 13, 11, 14, tzinfo=timezone.utc), 3),
    ("Bring laptop to repair", datetime(2019, 4, 13, 11, 15, tzinfo=timezone.utc), 1),
)
UPDATE = {"description": "Buy three batteries", "priority": 2}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class SampleService:
    def __init__(self, repo: TaskRepository, logger: logging.Logger, new_id: Callable[[], UUID] = uuid4) -> None:
        self.repo = repo
        self.log = logger
        self.new_id = new_id

    def _load(self, label: str = "Tasks") -> list[dict[str, Any]]:
        self.log.info("Load tasks..." if label == "Tasks" else "Load existing tasks...")
        tasks = [t.as_dict() for t in self.repo.list()]
        self.log.info("%s: %s", label, _json(tasks))
        return tasks

    def run(self) -> dict[str, Any]:
        """Create two tasks, list, update one, find it, delete both; return every step's result."""
        existing = self._load("Existing tasks")

        self.log.info("Create tasks...")
        created = [Task(self.new_id(), d, when, p) for d, when, p in NEW_TASKS]
        for task in created:
            self.repo.create(task)
        after_create = self._load()

        self.log.info("Update a task...")
        self.repo.update(replace(created[0], **UPDATE))
        after_update = self._load()

        self.log.info("Load first task...")
        first = self.repo.find(created[0].uuid)
        first_json = first.as_dict() if first else None
        self.log.info("First task: %s", _json(first_json))

        self.log.info("Delete tasks...")
        self.repo.delete(t.uuid for t in created)
        after_delete = self._load()

        return {
            "existingTasks": existing,
            "createdTasks": after_create,
            "updatedTasks": after_update,
            "firstTask": first_json,
            "remainingTasks": after_delete,
        }
