"""Platform limits and sizing rules both backends and the neutral layer rely on (a leaf module)."""

from __future__ import annotations

from dataclasses import dataclass

from components.errors import invalid

# Function memory (low, high, step in MB) and timeout (low, high in seconds) per cloud.
FUNCTION_LIMITS = {
    "aws": {"memory": (128, 10240, 1), "timeout": (1, 900)},
    "ali": {"memory": (128, 32768, 64), "timeout": (1, 86400)},
}


# FC 3.0 elastic instances ("Instance types and specifications"): 0.05-16 vCPU in steps of 0.05,
# 128-32768 MB in steps of 64, and vCPU : memory (GB) between 1:1 and 1:4.
FC_CPU_STEPS_PER_VCPU = 20  # one step is 0.05 vCPU; integer steps avoid float drift
FC_MAX_CPU_STEPS = 16 * FC_CPU_STEPS_PER_VCPU
LAMBDA_MB_PER_VCPU = 1769  # Lambda: one full vCPU at 1,769 MB


def fc_cpu_window(memory_mb: int) -> tuple[int, int]:
    """The CPU FC accepts for ``memory_mb``, as (lowest, highest) 0.05-vCPU steps."""
    low = max(1, -(-memory_mb * FC_CPU_STEPS_PER_VCPU // (4 * 1024)))  # >= GB/4, rounded up
    high = min(FC_MAX_CPU_STEPS, memory_mb * FC_CPU_STEPS_PER_VCPU // 1024)  # <= GB and 16, rounded down
    return low, high


def fc_cpu(memory_mb: int) -> float:
    """FC 3.0 CPU for a memory size: Lambda's proportion, within FC's 0.05-16 vCPU and 1:1..1:4 window."""
    low, high = fc_cpu_window(memory_mb)
    if low > high:
        raise invalid("FC memory_mb", memory_mb, "a size with a valid FC vCPU (see fc_cpu_window)")
    steps = round(memory_mb * FC_CPU_STEPS_PER_VCPU / LAMBDA_MB_PER_VCPU)
    return round(min(max(steps, low), high) / FC_CPU_STEPS_PER_VCPU, 2)


@dataclass(frozen=True)
class ConsumerLimits:
    """What a queue's consumer may be on one cloud (``QueueBackend.consumer_limits``, checked in
    ``Queue.subscribe`` before the trigger exists)."""

    max_timeout_s: int  # the longest invocation the queue trigger waits for
    why: str  # where that limit comes from
    no_concurrency: str = ""  # set when the cloud has no way to cap the trigger's concurrency: why
