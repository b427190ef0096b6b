from __future__ import annotations

import pytest

from launchdeck.drivers.aws.fargate import SIZES, BadSize, TaskSize, allowed_text, task_size

GiB = 1024**3


@pytest.mark.parametrize(
    ("cpu", "memory", "expected"),
    [
        (None, None, TaskSize(0.25, 512)),
        (0.25, 2 * GiB, TaskSize(0.25, 2048)),
        (2, None, TaskSize(2, 4096)),
        (None, 3 * GiB, TaskSize(0.5, 3072)),
        (4, 30 * GiB, TaskSize(4, 30720)),
        (8, 20 * GiB, TaskSize(8, 20480)),
        (16, 120 * GiB, TaskSize(16, 122880)),
    ],
)
def test_sizes_fargate_offers(cpu: float | None, memory: int | None, expected: TaskSize) -> None:
    assert task_size(cpu, memory) == expected


def test_cpu_units() -> None:
    assert TaskSize(0.25, 512).cpu_units == 256 and TaskSize(16, 32768).cpu_units == 16384


@pytest.mark.parametrize(
    ("cpu", "memory", "message", "fix"),
    [
        (0.25, 4 * GiB, "Fargate has no task with 0.25 vCPU and 4GiB; 0.25 vCPU allows memory "
         "512MiB, 1GiB or 2GiB",
         'use memory = "2GiB" or less, or cpu = 0.5 (allows 1GiB to 4GiB in 1GiB steps)'),
        (8, 18 * GiB, "Fargate has no task with 8 vCPU and 18GiB; 8 vCPU allows memory 16GiB to "
         "60GiB in 4GiB steps", 'use memory = "16GiB" or "20GiB"'),
        (0.3, None, "Fargate has no 0.3 vCPU task; it offers 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU",
         "use cpu = 0.5"),
        (None, 200 * GiB, "Fargate has no task with 200GiB of memory", 'use memory = "120GiB"'),
    ],
)  # fmt: skip
def test_sizes_fargate_does_not_offer(
    cpu: float | None, memory: int | None, message: str, fix: str
) -> None:
    with pytest.raises(BadSize) as caught:
        task_size(cpu, memory)
    assert (caught.value.message, caught.value.fix) == (message, fix)


def test_the_table_is_awss() -> None:
    assert allowed_text(16) == "32GiB to 120GiB in 8GiB steps"
    assert allowed_text(4) == "8GiB to 30GiB in 1GiB steps"
    assert len(SIZES[1]) == 7 and len(SIZES[8]) == 12
