"""timer: runs every 5 minutes with a custom payload and logs its neutral tick."""

from __future__ import annotations

from typing import Any

from components.app import Application
from components.function import FunctionArgs, ServerlessFunction
from components.schedule import Schedule, ScheduleArgs
from samples.registry import sample


@sample("timer")
def build(app: Application) -> dict[str, Any]:
    fn = ServerlessFunction(
        "timer",
        FunctionArgs(code="timer", description="Logs each scheduled tick"),
    )
    Schedule(
        "timer-every-5m",
        ScheduleArgs(function=fn, rate="5 minutes", payload={"message": "some-custom-payload"}),
    )
    return {"functions": {"timer": fn.function_name}}
