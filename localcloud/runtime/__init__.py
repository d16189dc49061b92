"""Function runners: each function from its real artifact, through its platform's invocation path.

- ``lambda_api``: a local Lambda Runtime API driving the real ``awslambdaric``;
- ``fc``: Function Compute 3.0's Python event-function contract (bytes event, context, env vars);
- ``interpreters``: the target Python per runtime, and the Lambda runtime's packages for it;
- ``runner``: one warm instance per function (``FunctionRunner``);
- ``watch``: rebuilds a function's artifact when its code changes and reloads it.
"""
