"""Cloud-neutral Pulumi components. The stack's ``cloud`` config picks the backend."""

from components.app import Application
from components.function import FunctionArgs, ServerlessFunction
from components.schedule import Schedule, ScheduleArgs

__all__ = ["Application", "FunctionArgs", "Schedule", "ScheduleArgs", "ServerlessFunction"]
