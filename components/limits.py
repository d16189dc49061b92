"""Platform limits and sizing rules both backends and the neutral layer rely on (a leaf module)."""

from __future__ import annotations

from dataclasses import dataclass

# Function memory (low, high, step in MB) and timeout (low, high in seconds) per cloud.
FUNCTION_LIMITS = {
    "aws": {"memory": (128, 10240, 1), "timeout": (1, 900)},
    "ali": {"memory": (128, 32768, 64), "timeout": (1, 86400)},
}


def fc_cpu(memory_mb: int) -> float:
    """FC 3.0 CPU for a memory size: Lambda's proportion, within FC's 1:1..1:4 vCPU:GB window."""
    gb = memory_mb / 1024
    cpu = round(round(memory_mb / 1769 / 0.05) * 0.05, 2)
    low, high = gb / 4, gb
    steps_low = -(-low // 0.05) * 0.05  # smallest multiple of 0.05 >= low
    return round(min(max(cpu, steps_low, 0.05), high), 2)


@dataclass(frozen=True)
class ConsumerLimits:
    """What a queue's consumer may be on one cloud (``QueueBackend.consumer_limits``, checked in
    ``Queue.subscribe`` before the trigger exists)."""

    max_timeout_s: int  # the longest invocation the queue trigger waits for
    why: str  # where that limit comes from
    no_concurrency: str = ""  # set when the cloud has no way to cap the trigger's concurrency: why
