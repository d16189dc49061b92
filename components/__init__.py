"""Cloud-neutral Pulumi components. The stack's ``cloud`` config picks the backend."""

from components.app import Application
from components.bucket import Bucket, BucketArgs
from components.database import PgDatabase, PgDatabaseArgs
from components.function import FunctionArgs, ServerlessFunction
from components.queue import Queue, QueueArgs
from components.schedule import Schedule, ScheduleArgs
from components.topic import Topic, TopicArgs

__all__ = ["Application", "Bucket", "BucketArgs", "FunctionArgs", "Schedule", "ScheduleArgs", "ServerlessFunction"]
__all__ += ["Queue", "QueueArgs", "Topic", "TopicArgs"]
__all__ += ["PgDatabase", "PgDatabaseArgs"]
