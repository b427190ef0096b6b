"""Deploy an image, by digest, to an environment: the shared stack, then the environment's
stack, then ECS rolls out; a recorded rollback is reconciled on the way."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from launchdeck.awsdeploy.layout import EnvLayout, layout
from launchdeck.awsdeploy.model import (
    ChangeSetSummary,
    DeployEvent,
    DeployResult,
    Outcome,
    Phase,
    Waits,
)
from launchdeck.awsdeploy.ports import AwsApis, RegistryApi, ServiceApi, StackApi
from launchdeck.awsdeploy.record import clear_record, read_record
from launchdeck.awsdeploy.rollout import RolloutWatcher
from launchdeck.awsdeploy.stack_changes import StackChange, StackChanger, template_parameters
from launchdeck.drivers.aws.clients import ImagePresence
from launchdeck.drivers.aws.errors import (
    ImageNotPushed,
    InvalidRequest,
    InvalidTemplate,
    StackMissing,
)
from launchdeck.drivers.aws.images import ImageRef, parse_image
from launchdeck.drivers.aws.names import (
    IMAGE_PARAMETER,
    TEMPLATE_BUCKET_OUTPUT,
    env_stack,
    repository_name,
    shared_stack,
    tags,
)
from launchdeck.system.clock import SYSTEM_CLOCK, Clock


def ignore(event: DeployEvent) -> None:
    pass


def deploy(
    aws: AwsApis,
    app: str,
    env: str,
    services: Sequence[str],
    shared_template: str,
    env_template: str,
    image: ImageRef | str,
    *,
    confirm: Callable[[ChangeSetSummary], bool],
    on_event: Callable[[DeployEvent], None] = ignore,
    yes: bool = False,
    clock: Clock = SYSTEM_CLOCK,
    waits: Waits = Waits(),
) -> DeployResult:
    """Bad input (a tag, no services, a broken template) fails before any AWS call."""
    ref = image if isinstance(image, ImageRef) else parse_image(image)
    check_request(services, shared_template, env_template)
    changer = StackChanger(
        aws.stacks,
        templates=aws.templates,
        confirm=confirm,
        on_event=on_event,
        clock=clock,
        waits=waits,
        yes=yes,
    )
    result = DeployResult(app, env, ref.digest, Outcome.DECLINED, Outcome.DECLINED)
    on_event(Phase(f"deploying {ref.digest} to {app} {env}"))
    shared = changer.apply(StackChange(shared_stack(app), shared_template, {}, tags(app)))
    if shared is Outcome.DECLINED:
        return result
    check_pushed(aws.registry, app, services, ref.digest)
    name = env_stack(app, env)
    bucket = template_bucket(aws.stacks, app)
    outcome = changer.apply(
        StackChange(name, env_template, {IMAGE_PARAMETER: ref.digest}, tags(app, env), bucket)
    )
    result = replace(result, outcome=outcome, shared=shared)
    if outcome is Outcome.DECLINED:
        return result
    if (stack := aws.stacks.describe(name)) is None:
        raise StackMissing(name, why="it was deleted while this deploy ran", fix="deploy again")
    where = layout(stack, services)
    changed = outcome is Outcome.CHANGED
    settled = settle(
        aws, app, env, where, changed=changed, on_event=on_event, clock=clock, waits=waits
    )
    on_event(Phase(f"{app} {env} runs {ref.digest}" + (f" at {where.url}" if where.url else "")))
    return replace(
        result, url=where.url, task_definitions=settled.running, reconciled=settled.moved
    )


def check_request(services: Sequence[str], shared_template: str, env_template: str) -> None:
    if not services:
        raise InvalidRequest("no services to deploy: the manifest declares none")
    template_parameters(shared_template, "shared")
    if IMAGE_PARAMETER not in template_parameters(env_template, "environment"):
        raise InvalidTemplate(
            f"the environment template declares no {IMAGE_PARAMETER} parameter, so it cannot "
            "run an image by digest",
            "synthesize it again with this launchdeck (launchdeck aws synth)",
        )


def template_bucket(stacks: StackApi, app: str) -> str:
    """The shared stack's bucket for templates too big to send inline ("" before it has one)."""
    shared = stacks.describe(shared_stack(app))
    return shared.outputs.get(TEMPLATE_BUCKET_OUTPUT, "") if shared is not None else ""


def check_pushed(registry: RegistryApi, app: str, services: Sequence[str], digest: str) -> None:
    """Every service pulls the image from its own repository: all must have it."""
    repositories = [repository_name(app, s) for s in services]
    found = {repo: registry.image(repo, digest) for repo in repositories}
    missing = [repo for repo, presence in found.items() if presence is ImagePresence.MISSING]
    absent = [repo for repo, presence in found.items() if presence is ImagePresence.NO_REPOSITORY]
    if missing or absent:
        raise ImageNotPushed(digest, missing, absent)


@dataclass(frozen=True)
class Settled:
    running: Mapping[str, str]  # service -> family:revision
    moved: tuple[str, ...]  # services reconciled back to the stack's revision


def settle(
    aws: AwsApis,
    app: str,
    env: str,
    where: EnvLayout,
    *,
    changed: bool,
    on_event: Callable[[DeployEvent], None],
    clock: Clock,
    waits: Waits,
) -> Settled:
    """After the stack: undo a recorded rollback, wait for ECS, then drop the record (only once
    the rollout succeeded, so a failed one leaves it for the next deploy)."""
    record = read_record(aws.parameters, app, env)
    moved = reconcile(aws.services, where, on_event) if record is not None else {}
    if changed or moved:
        watcher = RolloutWatcher(aws.services, on_event=on_event, clock=clock, waits=waits)
        states = watcher.wait(where.cluster, where.names(), expect=moved)
    else:
        states = aws.services.describe(where.cluster, where.names())
    if record is not None:
        clear_record(aws.parameters, app, env)
        on_event(Phase(f"{app} {env}: runs its stack's revisions again; rollback record cleared"))
    return Settled(
        running={s: short(states[lay.name].task_definition) for s, lay in where.services.items()},
        moved=tuple(s for s, lay in where.services.items() if lay.name in moved),
    )


def reconcile(
    services: ServiceApi, where: EnvLayout, on_event: Callable[[DeployEvent], None]
) -> dict[str, str]:
    """Point each service back at its family's latest ACTIVE revision (the one the stack last
    registered); ECS service name -> the ARN it was moved to."""
    states = services.describe(where.cluster, where.names())
    moved: dict[str, str] = {}
    for lay in where.services.values():
        latest = services.latest(lay.family)
        if latest is None or states[lay.name].task_definition == latest.arn:
            continue
        services.update(where.cluster, lay.name, latest.arn)
        on_event(Phase(f"{lay.service}: back from a rollback to the stack's revision {latest}"))
        moved[lay.name] = latest.arn
    return moved


def short(task_definition: str) -> str:
    """family:revision from a task definition ARN (as given when it is not one)."""
    return task_definition.rsplit("/", 1)[-1]
