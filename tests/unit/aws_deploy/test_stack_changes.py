from __future__ import annotations

import pytest

from launchdeck.awsdeploy.model import Outcome, Waits
from launchdeck.awsdeploy.stack_changes import (
    StackChange,
    StackChanger,
    change_set_name,
    template_parameters,
)
from launchdeck.drivers.aws.errors import ChangeSetFailed, InvalidTemplate, TimedOut
from tests.unit.aws_deploy.fakes import World
from tests.unit.aws_deploy.templates import shared_template


def changer(world: World, **waits: float) -> StackChanger:
    return StackChanger(
        world.stacks,
        confirm=lambda _: True,
        on_event=lambda _: None,
        clock=world.clock,
        waits=Waits(**waits),
    )


def test_change_set_names_are_unique_to_the_millisecond_and_say_when() -> None:
    assert change_set_name(1_700_000_000.25) == "launchdeck-20231114-221320-250"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "not json",
            "the shared template is not JSON (Expecting value: line 1 column 1 (char 0))",
        ),
        ('{"Parameters": {}}', "the shared template has no Resources"),
    ],
)
def test_a_broken_template(template: str, message: str) -> None:
    with pytest.raises(InvalidTemplate) as broken:
        template_parameters(template, "shared")

    assert (broken.value.message, broken.value.fix) == (
        message,
        "synthesize it again (launchdeck aws synth)",
    )


def test_a_change_set_cloudformation_rejects_says_why(monkeypatch) -> None:
    world = World()
    original = world.stacks.create_change_set

    def rejected(*args, **kwargs):
        cs_id = original(*args, **kwargs)
        cs = world.stacks.change_sets[cs_id]
        cs.status, cs.reason = (
            "FAILED",
            (
                "Template format error: Unresolved resource dependencies [Vpc] in the Resources block"
            ),
        )
        return cs_id

    monkeypatch.setattr(world.stacks, "create_change_set", rejected)

    with pytest.raises(ChangeSetFailed) as failed:
        changer(world).apply(StackChange("launchdeck-shop", shared_template(), {}, {}))

    assert (failed.value.message, failed.value.fix) == (
        "CloudFormation rejected the change set for launchdeck-shop: Template format error: "
        "Unresolved resource dependencies [Vpc] in the Resources block",
        "fix the template (launchdeck aws synth) and deploy again",
    )


def test_a_change_set_that_never_gets_ready_times_out() -> None:
    world = World()
    original = world.stacks.create_change_set

    def slow(*args, **kwargs):
        cs_id = original(*args, **kwargs)
        world.stacks.change_sets[cs_id].polls_left = 10_000
        return cs_id

    world.stacks.create_change_set = slow  # type: ignore[method-assign]

    with pytest.raises(
        TimedOut, match=r"did not finish within 30s \(last seen: CREATE_IN_PROGRESS\)"
    ):
        changer(world, change_set=30).apply(
            StackChange("launchdeck-shop", shared_template(), {}, {})
        )


def test_an_interrupted_confirmation_leaves_no_change_set_behind() -> None:
    world = World()

    def interrupted(summary):
        raise KeyboardInterrupt

    stack_changer = StackChanger(
        world.stacks, confirm=interrupted, on_event=lambda _: None, clock=world.clock, waits=Waits()
    )
    with pytest.raises(KeyboardInterrupt):
        stack_changer.apply(StackChange("launchdeck-shop", shared_template(), {}, {}))

    assert world.stacks.change_sets == {}


def test_an_unchanged_stack_is_unchanged() -> None:
    world = World()
    change = StackChange("launchdeck-shop", shared_template(), {}, {})
    assert changer(world).apply(change) is Outcome.CHANGED
    assert changer(world).apply(change) is Outcome.UNCHANGED
