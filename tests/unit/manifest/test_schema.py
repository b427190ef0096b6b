from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from launchdeck.domain import HealthCheck, ReleaseSpec, Rollout, Scale, ServiceSpec
from launchdeck.manifest.schema import (
    BuildTable,
    EnvironmentTable,
    HealthTable,
    ManifestFile,
    ReleaseTable,
    ResourcesTable,
    RolloutTable,
    ScaleTable,
    ServiceTable,
)

MODELS: list[type[BaseModel]] = [
    ManifestFile,
    BuildTable,
    ReleaseTable,
    ServiceTable,
    HealthTable,
    ScaleTable,
    ResourcesTable,
    RolloutTable,
    EnvironmentTable,
]
FIELDS = [(model, name) for model in MODELS for name in model.model_fields]


@pytest.mark.parametrize(("model", "name"), FIELDS)
def test_every_field_is_documented_with_an_example(model: type[BaseModel], name: str) -> None:
    field = model.model_fields[name]
    assert field.description and field.examples, f"{model.__name__}.{name}"
    assert model.__doc__


@pytest.mark.parametrize(("model", "name"), FIELDS)
def test_every_example_is_valid(model: type[BaseModel], name: str) -> None:
    required: dict[str, Any] = {"command": "x"} if "command" in model.model_fields else {}
    examples = model.model_fields[name].examples or []
    model.model_validate({**required, name: examples[0]})


def test_defaults_are_the_domain_defaults() -> None:
    health, scale, rollout = HealthTable(), ScaleTable(), RolloutTable()
    service = ServiceTable(command="x")
    assert HealthCheck(**health.model_dump()) == HealthCheck()
    assert Scale(**scale.model_dump()) == Scale()
    assert (rollout.max_surge, rollout.max_unavailable) == (
        Rollout().max_surge,
        Rollout().max_unavailable,
    )
    assert (service.port, service.drain, service.stop_timeout) == (None, 10.0, 30.0)
    assert service.drain == ServiceSpec("x", "x").drain
    assert ReleaseTable(command="x").timeout == ReleaseSpec("x").timeout


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        HealthTable.model_validate({"paht": "/"})
    assert caught.value.errors()[0]["type"] == "extra_forbidden"


@pytest.mark.parametrize(
    ("model", "raw"),
    [
        (ScaleTable, {"count": "2"}),
        (ScaleTable, {"count": True}),
        (ScaleTable, {"count": 2.0}),
        (ServiceTable, {"command": "x", "port": 1}),
        (EnvironmentTable, {"config": {"A": 1}}),
    ],
)
def test_values_are_never_coerced(model: type[BaseModel], raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(raw)


def test_keys_given_are_tracked_for_partial_overrides() -> None:
    env = EnvironmentTable.model_validate({"scale": {"web": {"count": 3}}})
    assert env.scale["web"].model_fields_set == {"count"}


def test_service_references_are_checked_only_with_a_context() -> None:
    raw: dict[str, Any] = {"scale": {"api": {}}}
    EnvironmentTable.model_validate(raw)
    with pytest.raises(ValidationError):
        EnvironmentTable.model_validate(raw, context={"services": ("web",)})
