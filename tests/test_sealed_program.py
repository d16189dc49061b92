"""Once the program is sealed, or from an Output.apply callback, no component may be changed.

Grants, triggers, VPC attachments and ``connect`` feed deferred inputs computed when the
``with Application.load()`` block ends; a later call used to be dropped without a word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from pulumi.runtime.sync_await import _sync_await
from pulumi_harness import deploy

from components.bucket import Bucket
from components.database import PgDatabase
from components.function import FunctionArgs, ServerlessFunction
from components.permissions import Grant
from components.queue import Queue
from components.topic import Topic

PASSWORD = "Sup3r-Secret_42"


@dataclass
class Parts:
    fn: ServerlessFunction
    bucket: Bucket
    queue: Queue
    topic: Topic
    db: PgDatabase


def _parts() -> Parts:
    return Parts(
        fn=ServerlessFunction("worker", FunctionArgs(code="output_object_storage")),
        bucket=Bucket("files"),
        queue=Queue("jobs"),
        topic=Topic("events"),
        db=PgDatabase("tasks"),
    )


# (mutator, the call the error must name)
MUTATORS: list[tuple[Callable[[Parts], Any], str]] = [
    (lambda p: p.fn.grant(Grant("objects.read", ["arn:aws:s3:::x/*"])), "function 'worker' grant('objects.read')"),
    (lambda p: p.fn.attach_vpc({"subnet_ids": ["s-1"]}), "function 'worker' attach_vpc"),
    (lambda p: p.bucket.grant_read(p.fn), "bucket 'files' grant_read(worker)"),
    (lambda p: p.bucket.grant_write(p.fn), "bucket 'files' grant_write(worker)"),
    (lambda p: p.bucket.grant_delete(p.fn), "bucket 'files' grant_delete(worker)"),
    (lambda p: p.bucket.on_object_created(p.fn), "bucket 'files' on_object_created(worker)"),
    (lambda p: p.queue.subscribe(p.fn), "queue 'jobs' subscribe(worker)"),
    (lambda p: p.queue.grant_send(p.fn), "queue 'jobs' grant_send(worker)"),
    (lambda p: p.topic.subscribe(p.fn), "topic 'events' subscribe(worker)"),
    (lambda p: p.topic.grant_publish(p.fn), "topic 'events' grant_publish(worker)"),
    (lambda p: p.db.connect(p.fn), "database 'tasks' connect(worker)"),
]
IDS = [call for _, call in MUTATORS]


@pytest.mark.parametrize(("mutate", "call"), MUTATORS, ids=IDS)
def test_a_change_after_the_program_is_sealed_is_refused(cloud: str, mutate: Callable[[Parts], Any], call: str) -> None:
    box: dict[str, Parts] = {}

    def program(app: Any) -> None:
        box["parts"] = _parts()

    d = deploy(cloud, program, {"dbPassword": PASSWORD})
    registered = len(d.resources)
    with pytest.raises(pulumi.RunError) as err:
        mutate(box["parts"])
    assert call in str(err.value) and "already sealed" in str(err.value), str(err.value)
    assert len(d.resources) == registered


@pytest.mark.parametrize(("mutate", "call"), MUTATORS, ids=IDS)
def test_a_change_from_an_apply_callback_fails_the_program(
    cloud: str, mutate: Callable[[Parts], Any], call: str
) -> None:
    # As a program would write it: the callback runs once the value is known (after the block).
    def program(app: Any) -> None:
        parts = _parts()
        pulumi.Output.from_input("x").apply(lambda _: mutate(parts))

    with pytest.raises(pulumi.RunError) as err:
        deploy(cloud, program, {"dbPassword": PASSWORD})
    assert call in str(err.value) and "Output.apply" in str(err.value), str(err.value)


@pytest.mark.parametrize(("mutate", "call"), MUTATORS[:3] + MUTATORS[-1:], ids=IDS[:3] + IDS[-1:])
def test_a_change_from_an_apply_callback_is_refused_even_before_the_seal(
    mutate: Callable[[Parts], Any], call: str
) -> None:
    # The callback runs while the block is still open (an invoke can run the event loop).
    seen: list[str] = []

    def program(app: Any) -> None:
        parts = _parts()
        out = pulumi.Output.from_input("x").apply(lambda _: mutate(parts))
        try:
            _sync_await(out.future())
        except pulumi.RunError as exc:
            seen.append(str(exc))

    with pytest.raises(pulumi.RunError, match=r"Output\.apply"):  # and the program fails with it
        deploy("aws", program, {"dbPassword": PASSWORD})
    assert len(seen) == 1 and call in seen[0] and "Output.apply" in seen[0], seen


@pytest.mark.parametrize("resources", [("*",), ["*"], ["arn:aws:s3:::x/*", "*"]])
def test_star_is_refused_for_a_permission_without_a_reason_for_it(resources: Any) -> None:
    with pytest.raises(pulumi.RunError) as err:
        Grant("objects.read", resources)
    message = str(err.value)
    assert "grant 'objects.read' resources" in message and "Resource '*'" in message
    assert "network.attach" in message  # the permissions that may use it


@pytest.mark.parametrize("resources", [("*",), ["*"]])
def test_star_is_accepted_where_the_cloud_has_no_resource_scope(resources: Any) -> None:
    assert list(Grant("network.attach", resources).resources) == ["*"]


def test_unknown_permission_names_it_and_what_is_allowed() -> None:
    with pytest.raises(pulumi.RunError) as err:
        Grant("objects.raed", ["arn:aws:s3:::x/*"])
    message = str(err.value)
    assert "'objects.raed'" in message
    assert "'objects.read'" in message and "'queue.send'" in message and "'db.connect'" in message


@pytest.mark.parametrize(("resources", "needle"), [([], "at least one"), ("arn:aws:s3:::x/*", "a list")])
def test_grant_without_a_list_of_resources_is_refused(resources: Any, needle: str) -> None:
    with pytest.raises(pulumi.RunError, match=needle):
        Grant("objects.read", resources)
