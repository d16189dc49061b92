"""The application: the tutorial's samples on the cloud the stack selects.

    pulumi up --stack aws     # Lambda, S3, SQS/SNS, EventBridge Scheduler, RDS
    pulumi up --stack ali     # Function Compute 3.0, OSS, MNS, FC timers, ApsaraDB RDS

All configuration is validated by ``Application.load()`` before any resource is registered.
"""

import pulumi

from components import Application
from samples import compose, registered

with Application.load(samples=registered()) as app:
    outputs = compose(app)

for key, value in outputs.items():
    pulumi.export(key, value)
