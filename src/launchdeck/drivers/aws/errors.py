"""Every error the AWS side raises on purpose, in one tree: synthesis, the boto3 wrappers and the
deploy use cases (launchdeck.awsdeploy) all raise from here. Each says what went wrong in
`message` and what to do in `fix` (see launchdeck.system.errors); AwsIssue values carry the
manifest problems synthesis finds.

LaunchdeckError (system/errors.py)
└── AwsError                        catch this to report any AWS failure
    ├── AwsSynthError (ManifestError)  the manifest cannot become CloudFormation: every AwsIssue
    ├── NoPriceTable                no price table for the region; names the regions that have one
    ├── InvalidImage (ValueError)   --image is not <registry>/<repository>@sha256:<64 hex>
    │   └── ImageByTag              a tag was given: why digests, and how to get one
    ├── CredentialsNotFound         no source had credentials: where we looked, how to fix
    ├── CredentialsInvalid          a source is set but broken (half a key pair, an unknown profile)
    ├── InvalidTemplate (ValueError)  a template body is not JSON, or too big for a request
    ├── InvalidRequest (ValueError) arguments that cannot work (no services, promote to itself)
    ├── AwsCallFailed               an AWS API call failed: service, operation, code, AWS's words
    ├── StackMissing                the stack does not exist (yet)
    ├── StackBusy                   the stack is *_IN_PROGRESS: another deploy is running
    ├── StackStuck                  the stack cannot be updated (ROLLBACK_COMPLETE, ...)
    ├── OutputMissing               the stack lacks an output the deploy contract promises
    ├── NoImageDeployed             the stack has no ImageDigest yet
    ├── SourceRolledBack            promote from an environment whose services were rolled back
    ├── ImageNotPushed              the digest is missing from service repositories
    ├── ChangeSetFailed             CloudFormation refused the change set (not "no changes")
    ├── StackUpdateFailed           the update failed: the failing resource, its reason, status
    ├── ServiceMissing              ECS has no such service in the cluster
    ├── RolloutFailed               ECS marked a deployment FAILED: the service's last events
    ├── NoRolloutState              ECS reported no rolloutState, and missing ones are not allowed
    ├── TimedOut                    a change set, stack or rollout took longer than allowed
    ├── NoPreviousRevision          rollback: the task family has no older ACTIVE revision
    ├── TaskNotStarted              run: ECS refused to start the one-off task (capacity, ...)
    ├── TaskGone                    run: ECS no longer knows the task (stopped over an hour ago)
    └── TaskFailed                  run: the task stopped before its command ran or exited
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from launchdeck.manifest import Issue, ManifestError
from launchdeck.system.errors import LaunchdeckError


@dataclass(frozen=True)
class AwsIssue(Issue):
    """A manifest problem only AWS cares about (same shape and text as a manifest Issue)."""


class AwsError(LaunchdeckError):
    """The base: catch this to report any AWS failure."""


class AwsSynthError(AwsError, ManifestError):
    """The manifest cannot become CloudFormation; every problem found is listed, each with its
    fix (one problem: its fix is `fix`), exactly as a ManifestError lists them."""


class NoPriceTable(AwsError):
    def __init__(self, region: str, available: Iterable[str]) -> None:
        self.region = region
        self.available = sorted(available)
        super().__init__(
            f"aws.region: no price table for {region!r}; cost estimates exist for: "
            f"{', '.join(self.available)}",
            "estimate with one of those regions, or add "
            f"src/launchdeck/drivers/aws/prices/{region}.json",
        )


class InvalidImage(AwsError, ValueError):
    pass


class ImageByTag(InvalidImage):
    pass


class CredentialsNotFound(AwsError):
    def __init__(self, looked: Sequence[str], fixes: Sequence[str]) -> None:
        self.looked = tuple(looked)
        self.fixes = tuple(fixes)
        lines = ["no AWS credentials found; launchdeck looked, in this order, at:"]
        lines += [f"  - {where}" for where in self.looked]
        super().__init__(
            "\n".join(lines), "\n".join(["do one of:", *(f"  - {fix}" for fix in self.fixes)])
        )


class CredentialsInvalid(AwsError):
    pass


class InvalidTemplate(AwsError, ValueError):
    pass


class InvalidRequest(AwsError, ValueError):
    pass


_DENIED = "give the deploy role this permission (or use a role that has it)"
_EXPIRED = "your session expired: log in again (aws sso login, or refresh the keys)"
_BAD_KEY = "the access key is not valid: check AWS_ACCESS_KEY_ID or the profile"
_CALL_FIXES = {
    "AccessDenied": _DENIED,
    "AccessDeniedException": _DENIED,
    "ExpiredToken": _EXPIRED,
    "ExpiredTokenException": _EXPIRED,
    "InvalidClientTokenId": _BAD_KEY,
    "UnrecognizedClientException": _BAD_KEY,
}


class AwsCallFailed(AwsError):
    def __init__(self, service: str, operation: str, code: str, aws_message: str) -> None:
        self.service = service
        self.operation = operation
        self.code = code
        self.aws_message = aws_message  # what AWS said, as it said it
        super().__init__(
            f"{service} {operation} failed: {code}: {aws_message}", _CALL_FIXES.get(code, "")
        )


class StackMissing(AwsError):
    def __init__(self, stack: str, *, why: str = "", fix: str = "") -> None:
        self.stack = stack
        super().__init__(f"stack {stack} does not exist" + (f": {why}" if why else ""), fix)


class StackBusy(AwsError):
    def __init__(self, stack: str, status: str) -> None:
        self.stack = stack
        self.status = status
        super().__init__(
            f"stack {stack} is {status}: another deploy or rollback is changing it",
            "wait for it to finish (launchdeck aws status shows progress) and run the command "
            "again",
        )


class StackStuck(AwsError):
    def __init__(self, stack: str, status: str, *, why: str, fix: str) -> None:
        self.stack = stack
        self.status = status
        where = f"stack {stack} is {status} and cannot be updated"
        super().__init__(f"{where}: {why}" if why else where, fix)


class OutputMissing(AwsError):
    def __init__(self, stack: str, output: str) -> None:
        self.stack = stack
        self.output = output
        super().__init__(
            f"stack {stack} has no output {output}: its template predates this launchdeck or "
            "was written by hand",
            "synthesize it again (launchdeck aws synth) and deploy",
        )


class NoImageDeployed(AwsError):
    def __init__(self, stack: str, status: str = "") -> None:
        self.stack = stack
        self.status = status
        why = f"it is {status} (it was never created)" if status else "it has no ImageDigest"
        super().__init__(
            f"stack {stack} runs no image: {why}", "deploy that environment with --image first"
        )


class SourceRolledBack(AwsError):
    def __init__(self, env: str, services: Sequence[str]) -> None:
        self.env = env
        self.services = tuple(services)
        super().__init__(
            f"{env} was rolled back ({', '.join(self.services)} run an older task definition "
            "than its stack's ImageDigest), so there is no single image to promote",
            f"deploy {env} again (or roll forward), then promote",
        )


class ImageNotPushed(AwsError):
    """One problem: its fix is `fix`; both: each line of `message` carries its own."""

    def __init__(self, digest: str, missing: Sequence[str], absent: Sequence[str] = ()) -> None:
        self.digest = digest
        self.missing = tuple(missing)  # repositories that lack the image
        self.absent = tuple(absent)  # repositories that do not exist at all
        problems: list[tuple[str, str]] = []
        if self.missing:
            problems.append(
                (
                    f"{digest} is not in ECR repository {', '.join(self.missing)}: every service "
                    "runs the same image from its own repository",
                    "push it to each one (docker buildx imagetools create --tag "
                    "<registry>/<repository>:<tag> <image>@<digest>) and deploy again",
                )
            )
        if self.absent:
            problems.append(
                (
                    f"ECR repository {', '.join(self.absent)} does not exist: the shared stack "
                    "makes one per service",
                    "synthesize the templates again from the manifest (launchdeck aws synth) and "
                    "deploy again",
                )
            )
        if len(problems) == 1:
            super().__init__(*problems[0])
        else:
            super().__init__("\n".join(f"{problem}; fix: {fix}" for problem, fix in problems))


class ChangeSetFailed(AwsError):
    def __init__(self, stack: str, reason: str) -> None:
        self.stack = stack
        self.reason = reason
        super().__init__(
            f"CloudFormation rejected the change set for {stack}: {reason}",
            "fix the template (launchdeck aws synth) and deploy again",
        )


class StackUpdateFailed(AwsError):
    def __init__(self, stack: str, status: str, resource: str, reason: str) -> None:
        self.stack = stack
        self.status = status
        self.resource = resource
        self.reason = reason
        where = f"{resource} failed: {reason}" if resource else f"no resource said why ({reason})"
        super().__init__(
            f"stack {stack} ended {status}: {where}; CloudFormation rolled the stack back, so "
            "the previous release still serves",
            "fix the cause and deploy again",
        )


class ServiceMissing(AwsError):
    def __init__(self, cluster: str, service: str) -> None:
        self.cluster = cluster
        self.service = service
        super().__init__(
            f"ECS service {service} is not in cluster {cluster}",
            "deploy the environment again to recreate it",
        )


class RolloutFailed(AwsError):
    def __init__(self, service: str, reason: str, events: Sequence[str]) -> None:
        self.service = service
        self.reason = reason
        self.events = tuple(events)
        lines = [
            f"the deployment of ECS service {service} FAILED: {reason or 'no reason given'}; "
            "ECS keeps the previous tasks serving; its last events:"
        ]
        lines += [f"  {event}" for event in self.events] or ["  (none)"]
        super().__init__("\n".join(lines))


class NoRolloutState(AwsError):
    def __init__(self, service: str) -> None:
        self.service = service
        super().__init__(
            f"ECS service {service} reports no rolloutState for its primary deployment, so its "
            "progress cannot be watched",
            "use the rolling-update (ECS) deployment controller, or allow it explicitly "
            "(Waits(allow_missing_rollout_state=True)) for an emulator that drops the field",
        )


class TimedOut(AwsError):
    def __init__(self, what: str, seconds: float, state: str) -> None:
        self.what = what
        self.seconds = seconds
        self.state = state
        super().__init__(
            f"{what} did not finish within {seconds:g}s (last seen: {state}); it may still finish",
            "check with launchdeck aws status, and raise the timeout if this is normal",
        )


class NoPreviousRevision(AwsError):
    def __init__(self, service: str, family: str, current: str) -> None:
        self.service = service
        self.family = family
        self.current = current
        super().__init__(
            f"cannot roll back {service}: task family {family} has no ACTIVE revision older "
            f"than the one it runs ({current})",
            "deploy an earlier image by digest instead",
        )


class TaskNotStarted(AwsError):
    def __init__(self, family: str, reasons: Sequence[str]) -> None:
        self.family = family
        self.reasons = tuple(reasons)
        super().__init__(
            f"ECS did not start a task of {family}: {'; '.join(self.reasons) or 'no reason given'}",
            "try again in a minute (Fargate may lack capacity in a zone); if it says MISSING, "
            "deploy the environment again to register the task definition",
        )


class TaskGone(AwsError):
    def __init__(self, cluster: str, task: str, log_group: str, stream: str) -> None:
        self.cluster = cluster
        self.task = task
        super().__init__(
            f"ECS task {task} is not in cluster {cluster}: ECS forgets stopped tasks after "
            "about an hour",
            f"read its output in CloudWatch Logs: log group {log_group}, stream {stream}",
        )


class TaskFailed(AwsError):
    def __init__(self, task: str, stop_code: str, reason: str) -> None:
        self.task = task
        self.stop_code = stop_code
        self.reason = reason
        super().__init__(
            f"ECS task {task} stopped before its command finished, with no exit code: "
            f"{stop_code or 'no stop code'}: {reason or 'no reason given'}",
            "CannotPullContainerError: push the image to the first service's repository and "
            "deploy again; ResourceInitializationError: check the secrets in SSM and the NAT "
            "gateways; otherwise run it again",
        )
