"""Every error deploying to AWS raises, in one tree; each says what went wrong and what to do.

(Template validation issues live in drivers/aws/errors.py, next to synthesis.)

AwsError
├── InvalidImage (ValueError)    --image is not <registry>/<repository>@sha256:<64 hex>
│   └── ImageByTag               a tag was given: why digests, and how to get one
├── CredentialsNotFound          no source had credentials: where we looked, how to fix
├── CredentialsInvalid           a source is set but broken (half a key pair, an unknown profile)
├── InvalidTemplate (ValueError) a template body is not JSON, or too big for a request
├── InvalidRequest (ValueError)  arguments that cannot work (no services, promote to itself)
├── AwsCallFailed                an AWS API call failed: service, operation, code, message
├── StackMissing                 the stack does not exist (yet)
├── StackBusy                    the stack is *_IN_PROGRESS: another deploy is running
├── StackStuck                   the stack cannot be updated (ROLLBACK_COMPLETE, ...)
├── OutputMissing                the stack lacks an output the deploy contract promises
├── NoImageDeployed              the stack has no ImageDigest yet
├── SourceRolledBack             promote from an environment whose services were rolled back
├── ImageNotPushed               the digest is missing from service repositories
├── ChangeSetFailed              CloudFormation refused the change set (not "no changes")
├── StackUpdateFailed            the update failed: the failing resource, its reason, final status
├── ServiceMissing               ECS has no such service in the cluster
├── RolloutFailed                ECS marked a deployment FAILED: the service's last events
├── NoRolloutState               ECS reported no rolloutState, and missing ones are not allowed
├── TimedOut                     a change set, stack or rollout took longer than allowed
└── NoPreviousRevision           rollback: the task family has no older ACTIVE revision
"""

from __future__ import annotations

from collections.abc import Sequence


class AwsError(Exception):
    """The base: catch this to report any AWS deploy failure."""


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
        lines.append("to fix it, do one of:")
        lines += [f"  - {fix}" for fix in self.fixes]
        super().__init__("\n".join(lines))


class CredentialsInvalid(AwsError):
    pass


class InvalidTemplate(AwsError, ValueError):
    pass


class InvalidRequest(AwsError, ValueError):
    pass


class AwsCallFailed(AwsError):
    def __init__(self, service: str, operation: str, code: str, message: str) -> None:
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message
        hint = _CALL_HINTS.get(code, "")
        super().__init__(f"{service} {operation} failed: {code}: {message}{hint}")


_CALL_HINTS = {
    "AccessDenied": "; give the deploy role this permission (or use a role that has it)",
    "AccessDeniedException": "; give the deploy role this permission (or use a role that has it)",
    "ExpiredToken": "; your session expired: log in again (aws sso login, or refresh the keys)",
    "ExpiredTokenException": "; your session expired: log in again (aws sso login, or refresh "
    "the keys)",
    "InvalidClientTokenId": "; the access key is not valid: check AWS_ACCESS_KEY_ID or the profile",
    "UnrecognizedClientException": "; the access key is not valid: check AWS_ACCESS_KEY_ID or "
    "the profile",
}


class StackMissing(AwsError):
    def __init__(self, stack: str, fix: str) -> None:
        self.stack = stack
        super().__init__(f"stack {stack} does not exist: {fix}")


class StackBusy(AwsError):
    def __init__(self, stack: str, status: str) -> None:
        self.stack = stack
        self.status = status
        super().__init__(
            f"stack {stack} is {status}: another deploy or rollback is changing it; wait for it "
            "to finish (launchdeck aws status shows progress) and run the command again"
        )


class StackStuck(AwsError):
    def __init__(self, stack: str, status: str, fix: str) -> None:
        self.stack = stack
        self.status = status
        super().__init__(f"stack {stack} is {status} and cannot be updated: {fix}")


class OutputMissing(AwsError):
    def __init__(self, stack: str, output: str) -> None:
        self.stack = stack
        self.output = output
        super().__init__(
            f"stack {stack} has no output {output}: its template predates this launchdeck or "
            "was written by hand; synthesize it again (launchdeck aws synth) and deploy"
        )


class NoImageDeployed(AwsError):
    def __init__(self, stack: str, status: str = "") -> None:
        self.stack = stack
        self.status = status
        why = f"it is {status} (it was never created)" if status else "it has no ImageDigest"
        super().__init__(
            f"stack {stack} runs no image: {why}; deploy that environment with --image first"
        )


class SourceRolledBack(AwsError):
    def __init__(self, env: str, services: Sequence[str]) -> None:
        self.env = env
        self.services = tuple(services)
        super().__init__(
            f"{env} was rolled back ({', '.join(self.services)} run an older task definition "
            f"than its stack's ImageDigest), so there is no single image to promote: deploy "
            f"{env} again (or roll forward), then promote"
        )


class ImageNotPushed(AwsError):
    def __init__(self, digest: str, missing: Sequence[str], absent: Sequence[str] = ()) -> None:
        self.digest = digest
        self.missing = tuple(missing)  # repositories that lack the image
        self.absent = tuple(absent)  # repositories that do not exist at all
        parts = []
        if self.missing:
            parts.append(
                f"{digest} is not in ECR repository {', '.join(self.missing)}: every service "
                "runs the same image from its own repository; push it to each one (docker "
                "buildx imagetools create --tag <registry>/<repository>:<tag> <image>@<digest>) "
                "and deploy again"
            )
        if self.absent:
            parts.append(
                f"ECR repository {', '.join(self.absent)} does not exist: the shared stack makes "
                "one per service; synthesize the templates again from the manifest (launchdeck "
                "aws synth) and deploy again"
            )
        super().__init__("\n".join(parts))


class ChangeSetFailed(AwsError):
    def __init__(self, stack: str, reason: str) -> None:
        self.stack = stack
        self.reason = reason
        super().__init__(
            f"CloudFormation rejected the change set for {stack}: {reason}; fix the template "
            "(launchdeck aws synth) and deploy again"
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
            "the previous release still serves; fix the cause and deploy again"
        )


class ServiceMissing(AwsError):
    def __init__(self, cluster: str, service: str) -> None:
        self.cluster = cluster
        self.service = service
        super().__init__(
            f"ECS service {service} is not in cluster {cluster}: deploy the environment again "
            "to recreate it"
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
            "progress cannot be watched; use the rolling-update (ECS) deployment controller, or "
            "allow it explicitly (RolloutOptions(allow_missing_rollout_state=True)) for an "
            "emulator that drops the field"
        )


class TimedOut(AwsError):
    def __init__(self, what: str, seconds: float, state: str) -> None:
        self.what = what
        self.seconds = seconds
        self.state = state
        super().__init__(
            f"{what} did not finish within {seconds:g}s (last seen: {state}); it may still "
            "finish: check with launchdeck aws status, and raise the timeout if this is normal"
        )


class NoPreviousRevision(AwsError):
    def __init__(self, service: str, family: str, current: str) -> None:
        self.service = service
        self.family = family
        self.current = current
        super().__init__(
            f"cannot roll back {service}: task family {family} has no ACTIVE revision older "
            f"than the one it runs ({current}); deploy an earlier image by digest instead"
        )
