"""What the cloud providers compute, for Pulumi's mock engine: one module per area.

Each module defines ``OUTPUTS`` (resource type -> f(inputs, name, region, account) -> extra
state, the outputs a provider computes such as ARNs and URLs) and may define ``CALLS`` (invoke
token -> f(args) -> result, for look-ups such as zones). :mod:`localcloud.program` merges them.
The shapes follow each provider's documented formats; the values are placeholders.
"""
