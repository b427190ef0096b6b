"""`[deploy]` and `[environments.<env>.deploy]`: how a release rolls out (rolling, or a canary
with steps, a pause and an analysis). Part of the schema (schema.py includes these tables)."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from typing import Self

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from launchdeck.domain.canary import PRESETS, DeploySpec, Strategy
from launchdeck.manifest.table import Table
from launchdeck.manifest.values.fieldtypes import Duration, Increase, ServiceRef
from launchdeck.manifest.values.suggest import closest
from launchdeck.manifest.values.units import format_duration

_SPEC = DeploySpec()
STRATEGIES = (*(s.value for s in Strategy), *PRESETS)


class DeployOverride(Table):
    """An environment's `[deploy]`: the keys given replace the top-level ones."""

    strategy: str | None = Field(
        default=None,
        examples=["canary"],
        description='"rolling", "canary", or an AWS CodeDeploy preset such as '
        '"ECSCanary10Percent5Minutes" or "ECSLinear10PercentEvery1Minutes".',
    )
    steps: list[int] | None = Field(
        default=None,
        examples=[[10, 50, 100]],
        description="Canary: the percentages of traffic the new release gets, increasing, the "
        "last 100.",
    )
    pause: Duration | None = Field(
        default=None, ge=0, examples=["1m"], description="Canary: how long each step holds."
    )
    max_error_rate_increase: Increase | None = Field(
        default=None,
        examples=["1%"],
        description="Canary: how many points higher the canary's error rate (5xx) may be than "
        "the stable release's.",
    )
    max_latency_increase: Increase | None = Field(
        default=None,
        examples=["20%"],
        description="Canary: how much higher the canary's p95 may be than the stable release's.",
    )
    min_requests: int | None = Field(
        default=None,
        ge=1,
        examples=[50],
        description="Canary: requests the canary must answer in a step before it can pass.",
    )
    services: list[ServiceRef] | None = Field(
        default=None,
        examples=[["web"]],
        description="Canary: the services whose traffic is split (default: every one with a "
        "port); the others roll out once the canary reaches 100%.",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        problems = self._strategy_problems() + self._step_problems()
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def _strategy_problems(self) -> list[InitErrorDetails]:
        strategy = self.strategy
        if strategy is None:
            return []
        if strategy not in STRATEGIES:
            meant = closest(strategy, list(STRATEGIES))
            choices = ", ".join(f'"{s}"' for s in STRATEGIES)
            fix = f'did you mean "{meant}"?' if meant else f"use one of {choices}"
            return [_problem(("strategy",), "is not a deploy strategy", fix)]
        if strategy in PRESETS:
            steps, pause = PRESETS[strategy]
            given = [key for key in ("steps", "pause") if getattr(self, key) is not None]
            shown = f"steps = {list(steps)}, pause = {format_duration(pause)!r}"
            return [
                _problem((key,), f"is set by the preset {strategy} ({shown})", f"remove {key}")
                for key in given
            ]
        return []

    def _step_problems(self) -> list[InitErrorDetails]:
        steps = self.steps
        if steps is None:
            return []
        example = "use steps = [10, 50, 100]: percentages that grow, ending at 100"
        if not steps or any(not 1 <= step <= 100 for step in steps):
            return [_problem(("steps",), "should be percentages from 1 to 100", example)]
        if any(b <= a for a, b in pairwise(steps)):
            return [_problem(("steps",), "should increase, step after step", example)]
        if steps[-1] != 100:
            fixed = [*steps, 100]
            return [_problem(("steps",), "should end at 100", f"use steps = {fixed}")]
        return []


class DeployTable(DeployOverride):
    """How a deploy (or promotion) rolls out. `rolling` (the default) replaces instances behind
    their health checks; `canary` first sends `steps` of the routed services' traffic to the new
    release, by HAProxy weights, holding each for `pause` while it compares the new release with
    the serving one, and rolls back at once when the new one answers worse."""

    strategy: str | None = Field(
        default=_SPEC.strategy.value,
        examples=["canary"],
        description='"rolling", "canary", or an AWS CodeDeploy preset such as '
        '"ECSCanary10Percent5Minutes" or "ECSLinear10PercentEvery1Minutes".',
    )


def to_deploy(table: DeployOverride, base: DeploySpec = _SPEC) -> DeploySpec:
    """The keys `table` gives over `base`; a preset sets the steps and the pause."""
    given = {key: getattr(table, key) for key in table.model_fields_set}
    spec = base
    strategy = given.pop("strategy", None)
    if strategy in PRESETS:
        steps, pause = PRESETS[strategy]
        spec = DeploySpec(Strategy.CANARY, steps, pause, *_analysis(spec))
    elif strategy is not None:
        spec = _replace(spec, strategy=Strategy(strategy))
    if "steps" in given:
        given["steps"] = tuple(given["steps"])
    if given.get("services") is not None:
        given["services"] = tuple(given["services"])
    return _replace(spec, **{k: v for k, v in given.items() if v is not None})


def _analysis(spec: DeploySpec) -> tuple[float, float, int, tuple[str, ...] | None]:
    return (spec.max_error_rate_increase, spec.max_latency_increase, spec.min_requests,
            spec.services)  # fmt: skip


def _replace(spec: DeploySpec, **changes: object) -> DeploySpec:
    return replace(spec, **changes)  # type: ignore[arg-type]


def _problem(loc: tuple[str, ...], message: str, fix: str) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError("deploy", message, {"fix": fix}), loc=loc, input=None
    )
