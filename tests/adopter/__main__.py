"""A Pulumi program of another team, using the installed multicloud-serverless."""

import pulumi

from components import Application, Bucket, BucketArgs, FunctionArgs, ServerlessFunction

with Application.load() as app:
    fn = ServerlessFunction("greeter", FunctionArgs(code="greeter", description="Greets each new object"))
    inbox = Bucket("inbox", BucketArgs(force_destroy=True))
    inbox.grant_read(fn)
    inbox.on_object_created(fn, prefix="in/")
    pulumi.export("function", fn.function_name)
