"""Fargate task sizes: the cpu/memory pairs ECS accepts, and the one a service's resources ask for.

The table is AWS's (Linux tasks): 0.25 vCPU takes 512MiB, 1GiB or 2GiB; 0.5 vCPU 1-4GiB, 1 vCPU
2-8GiB, 2 vCPU 4-16GiB and 4 vCPU 8-30GiB in 1GiB steps; 8 vCPU 16-60GiB in 4GiB steps; 16 vCPU
32-120GiB in 8GiB steps. A service without resources runs in the smallest task.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MiB = 1024**2
SIZES: dict[float, tuple[int, ...]] = {  # vCPU -> allowed memory in MiB
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4 * 1024 + 1, 1024)),
    1: tuple(range(2 * 1024, 8 * 1024 + 1, 1024)),
    2: tuple(range(4 * 1024, 16 * 1024 + 1, 1024)),
    4: tuple(range(8 * 1024, 30 * 1024 + 1, 1024)),
    8: tuple(range(16 * 1024, 60 * 1024 + 1, 4 * 1024)),
    16: tuple(range(32 * 1024, 120 * 1024 + 1, 8 * 1024)),
}


@dataclass(frozen=True)
class TaskSize:
    vcpu: float
    memory_mib: int

    @property
    def cpu_units(self) -> int:
        return int(self.vcpu * 1024)


SMALLEST = TaskSize(0.25, 512)


class BadSize(ValueError):
    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def task_size(cpu: float | None, memory: int | None) -> TaskSize:
    """The Fargate size for `cpu` (vCPU) and `memory` (bytes); BadSize when AWS has none."""
    if cpu is None and memory is None:
        return SMALLEST
    if cpu is not None and cpu not in SIZES:
        raise BadSize(
            f"Fargate has no {cpu:g} vCPU task; it offers {_or(_cpu(c) for c in SIZES)} vCPU",
            f"use cpu = {_cpu(_nearest_cpu(cpu))}",
        )
    if memory is None:
        assert cpu is not None
        return TaskSize(cpu, SIZES[cpu][0])
    mib = memory / MiB
    if cpu is None:
        fitting = [c for c, allowed in SIZES.items() if mib in allowed]
        if fitting:
            return TaskSize(fitting[0], int(mib))
        raise BadSize(
            f"Fargate has no task with {size(memory)} of memory",
            f"use memory = {_nearest_memory(mib, _all_memory())}",
        )
    if mib in SIZES[cpu]:
        return TaskSize(cpu, int(mib))
    raise BadSize(
        f"Fargate has no task with {_cpu(cpu)} vCPU and {size(memory)}; "
        f"{_cpu(cpu)} vCPU allows memory {allowed_text(cpu)}",
        _pair_fix(cpu, mib),
    )


def allowed_text(cpu: float) -> str:
    """The memory `cpu` allows: "512MiB, 1GiB or 2GiB", "2GiB to 8GiB in 1GiB steps"."""
    allowed = SIZES[cpu]
    if len(allowed) <= 3:
        return _or(_mib(m) for m in allowed)
    step = allowed[1] - allowed[0]
    return f"{_mib(allowed[0])} to {_mib(allowed[-1])} in {_mib(step)} steps"


def _pair_fix(cpu: float, mib: float) -> str:
    allowed = SIZES[cpu]
    other = [c for c, sizes in SIZES.items() if mib in sizes]
    if mib > allowed[-1]:
        fix = f'use memory = "{_mib(allowed[-1])}" or less'
    elif mib < allowed[0]:
        fix = f'use memory = "{_mib(allowed[0])}" or more'
    else:
        return f"use memory = {_nearest_memory(mib, allowed)}"
    if other:
        better = other[0] if mib > allowed[-1] else other[-1]
        fix += f", or cpu = {_cpu(better)} (allows {allowed_text(better)})"
    return fix


def _nearest_cpu(cpu: float) -> float:
    return next((c for c in SIZES if c >= cpu), max(SIZES))


def _nearest_memory(mib: float, allowed: Sequence[int]) -> str:
    below = [m for m in allowed if m < mib]
    above = [m for m in allowed if m > mib]
    return " or ".join(f'"{_mib(m)}"' for m in below[-1:] + above[:1])


def _all_memory() -> list[int]:
    return sorted({m for sizes in SIZES.values() for m in sizes})


def _cpu(cpu: float) -> str:
    return f"{cpu:g}"


def _mib(mib: float) -> str:
    return f"{mib / 1024:g}GiB" if mib >= 1024 and mib % 1024 == 0 else f"{mib:g}MiB"


def size(memory: int) -> str:
    """`memory` bytes the way the manifest writes it."""
    return _mib(memory / MiB)


def _or(items: Iterable[str]) -> str:
    words = list(items)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
