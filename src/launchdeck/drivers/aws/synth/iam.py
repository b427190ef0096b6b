"""IAM policy documents as plain dicts, and the roles every part of a stack makes."""

from __future__ import annotations

from typing import Any

from troposphere import Ref, Sub, Template, iam

from launchdeck.drivers.aws.names import role_path

VERSION = "2012-10-17"


def statement(
    actions: str | list[str],
    resources: Any,
    *,
    principal: Any = None,
    condition: dict[str, Any] | None = None,
    effect: str = "Allow",
    sid: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": effect, "Action": actions}
    if resources is not None:
        body["Resource"] = resources
    if principal is not None:
        body["Principal"] = principal
    if condition:
        body["Condition"] = condition
    return {"Sid": sid, **body} if sid else body


def policy(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": statements}


def account_root() -> Any:
    return Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")


def service_trust(service: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return policy(
        [statement("sts:AssumeRole", None, principal={"Service": service}, condition=condition)]
    )


def same_account() -> dict[str, Any]:
    """A trust condition: only for this account's resources (no confused deputy)."""
    return {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}}


def role(
    t: Template,
    title: str,
    app: str,
    service: str,
    statements: list[dict[str, Any]] | None = None,
    managed: list[Any] | None = None,
    *,
    trust: dict[str, Any] | None = None,  # a condition on who may assume it
) -> Any:
    """A role `service` assumes, under the app's path, with one inline policy."""
    props: dict[str, Any] = {
        "Path": role_path(app),
        "AssumeRolePolicyDocument": service_trust(service, trust),
    }
    if statements:
        props["Policies"] = [
            iam.Policy(PolicyName="least-privilege", PolicyDocument=policy(statements))
        ]
    if managed:
        props["ManagedPolicyArns"] = managed
    return t.add_resource(iam.Role(title, **props))


def managed_policy(name: str) -> Any:
    return Sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{name}")
