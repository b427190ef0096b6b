from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from launchdeck.drivers.aws.clients import ChangeSetRequest, Stacks, Templates, first_failure
from launchdeck.drivers.aws.clients.stacks import StackEvent
from launchdeck.drivers.aws.errors import AwsCallFailed, InvalidTemplate

AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/launchdeck-shop-staging/1"
CS_ID = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/launchdeck-1/2"


def event(n: int, logical: str, status: str, reason: str = "") -> dict:
    raw = {
        "StackId": STACK_ID,
        "EventId": f"e{n}",
        "StackName": "launchdeck-shop-staging",
        "LogicalResourceId": logical,
        "ResourceType": "AWS::ECS::Service",
        "Timestamp": AT,
        "ResourceStatus": status,
    }
    return {**raw, "ResourceStatusReason": reason} if reason else raw


def test_describe_a_missing_stack_is_none(stubbed) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_client_error(
        "describe_stacks",
        "ValidationError",
        "Stack with id launchdeck-shop does not exist",
        expected_params={"StackName": "launchdeck-shop"},
    )

    assert Stacks(client).describe("launchdeck-shop") is None


def test_describe_reads_status_parameters_and_outputs(stubbed) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "launchdeck-shop-staging",
                    "StackId": STACK_ID,
                    "CreationTime": AT,
                    "StackStatus": "UPDATE_COMPLETE",
                    "Parameters": [{"ParameterKey": "ImageDigest", "ParameterValue": "sha256:abc"}],
                    "Outputs": [{"OutputKey": "ClusterName", "OutputValue": "shop-staging"}],
                }
            ]
        },
        {"StackName": "launchdeck-shop-staging"},
    )

    stack = Stacks(client).describe("launchdeck-shop-staging")

    assert stack is not None and stack.status == "UPDATE_COMPLETE" and not stack.busy
    assert stack.parameters == {"ImageDigest": "sha256:abc"}
    assert stack.outputs == {"ClusterName": "shop-staging"}


def test_other_errors_leave_as_aws_call_failed_with_the_next_step(stubbed) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_client_error(
        "describe_stacks",
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
        "cloudformation:DescribeStacks",
        http_status_code=403,
    )

    with pytest.raises(AwsCallFailed) as failed:
        Stacks(client).exists("launchdeck-shop")

    assert (failed.value.message, failed.value.fix) == (
        "cloudformation DescribeStacks failed: AccessDenied: User: arn:aws:iam::123456789012:user/ci "
        "is not authorized to perform: cloudformation:DescribeStacks",
        "give the deploy role this permission (or use a role that has it)",
    )


def test_a_change_set_for_a_new_stack_creates_with_iam_capabilities_parameters_and_tags(
    stubbed,
) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_response(
        "create_change_set",
        {"Id": CS_ID, "StackId": STACK_ID},
        {
            "StackName": "launchdeck-shop-staging",
            "ChangeSetName": "launchdeck-1",
            "TemplateBody": "{}",
            "ChangeSetType": "CREATE",
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
            "Parameters": [{"ParameterKey": "ImageDigest", "ParameterValue": "sha256:abc"}],
            "Tags": [{"Key": "launchdeck:app", "Value": "shop"}],
        },
    )

    made = Stacks(client).create_change_set(
        ChangeSetRequest(
            "launchdeck-shop-staging",
            "launchdeck-1",
            "{}",
            create=True,
            parameters={"ImageDigest": "sha256:abc"},
            tags={"launchdeck:app": "shop"},
        )
    )

    assert made == CS_ID


def test_an_update_change_set_keeps_named_parameters_at_their_previous_value(stubbed) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_response(
        "create_change_set",
        {"Id": CS_ID},
        {
            "StackName": "launchdeck-shop-staging",
            "ChangeSetName": "launchdeck-2",
            "TemplateBody": "{}",
            "ChangeSetType": "UPDATE",
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
            "Parameters": [
                {"ParameterKey": "ImageDigest", "ParameterValue": "sha256:def"},
                {"ParameterKey": "CertificateArn", "UsePreviousValue": True},
            ],
            "Tags": [],
        },
    )

    Stacks(client).create_change_set(
        ChangeSetRequest(
            "launchdeck-shop-staging",
            "launchdeck-2",
            "{}",
            create=False,
            parameters={"ImageDigest": "sha256:def"},
            keep=["CertificateArn"],
        )
    )


def test_a_template_too_big_to_send_inline_is_refused_without_a_call(stubbed) -> None:
    client, _ = stubbed("cloudformation")

    with pytest.raises(InvalidTemplate) as big:
        Stacks(client).create_change_set(
            ChangeSetRequest("launchdeck-shop", "cs", "x" * 51_201, create=True)
        )

    assert (big.value.message, big.value.fix) == (
        "the template for launchdeck-shop is 51201 bytes; CloudFormation takes at most 51200 "
        "inline",
        "split services into fewer resources or shorten it",
    )


def test_a_change_set_reads_every_page_of_changes(stubbed) -> None:
    client, stub = stubbed("cloudformation")

    def change(action: str, logical: str, replacement: str | None = None) -> dict:
        body = {"Action": action, "LogicalResourceId": logical, "ResourceType": "AWS::ECS::Service"}
        return {
            "Type": "Resource",
            "ResourceChange": {**body, "Replacement": replacement} if replacement else body,
        }

    stub.add_response(
        "describe_change_set",
        {
            "ChangeSetId": CS_ID,
            "StackName": "launchdeck-shop-staging",
            "Status": "CREATE_COMPLETE",
            "ExecutionStatus": "AVAILABLE",
            "Changes": [change("Modify", "WebService", "False")],
            "NextToken": "page2",
        },
        {"ChangeSetName": CS_ID},
    )
    stub.add_response(
        "describe_change_set",
        {
            "ChangeSetId": CS_ID,
            "StackName": "launchdeck-shop-staging",
            "Status": "CREATE_COMPLETE",
            "ExecutionStatus": "AVAILABLE",
            "Changes": [change("Add", "ApiService")],
        },
        {"ChangeSetName": CS_ID, "NextToken": "page2"},
    )

    found = Stacks(client).change_set(CS_ID)

    assert found.ready and not found.empty
    assert [(c.action, c.logical_id, c.replacement) for c in found.changes] == [
        ("Modify", "WebService", "False"),
        ("Add", "ApiService", ""),
    ]


@pytest.mark.parametrize(
    ("reason", "empty"),
    [
        (
            "The submitted information didn't contain changes. Submit different information to create "
            "a change set.",
            True,
        ),
        ("No updates are to be performed.", True),
        (
            "Template format error: Unresolved resource dependencies [Vpc] in the Resources block",
            False,
        ),
    ],
)
def test_a_failed_change_set_without_changes_is_empty_and_other_failures_are_not(
    stubbed, reason: str, empty: bool
) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_response(
        "describe_change_set",
        {
            "ChangeSetId": CS_ID,
            "Status": "FAILED",
            "StatusReason": reason,
            "ExecutionStatus": "UNAVAILABLE",
        },
        {"ChangeSetName": CS_ID},
    )

    found = Stacks(client).change_set(CS_ID)

    assert found.ready and found.empty is empty and found.reason == reason


def test_execute_and_delete_name_the_change_set(stubbed) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_response("execute_change_set", {}, {"ChangeSetName": CS_ID})
    stub.add_response("delete_change_set", {}, {"ChangeSetName": CS_ID})

    Stacks(client).execute(CS_ID)
    Stacks(client).delete_change_set(CS_ID)


def test_events_after_pages_newest_first_and_stops_at_the_last_seen_event(stubbed) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                event(9, "launchdeck-shop-staging", "UPDATE_COMPLETE"),
                event(8, "WebService", "UPDATE_COMPLETE"),
            ],
            "NextToken": "t2",
        },
        {"StackName": "launchdeck-shop-staging"},
    )
    stub.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                event(7, "WebService", "UPDATE_IN_PROGRESS"),
                event(6, "launchdeck-shop-staging", "UPDATE_COMPLETE"),
            ],
            "NextToken": "t3",  # never read: e6 is where the last look ended
        },
        {"StackName": "launchdeck-shop-staging", "NextToken": "t2"},
    )

    found = Stacks(client).events_after("launchdeck-shop-staging", "e6")

    assert [(e.id, e.logical_id, e.status) for e in found] == [
        ("e7", "WebService", "UPDATE_IN_PROGRESS"),
        ("e8", "WebService", "UPDATE_COMPLETE"),
        ("e9", "launchdeck-shop-staging", "UPDATE_COMPLETE"),
    ]


def test_the_failure_is_the_first_failed_event_that_is_not_a_cancellation(stubbed) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                event(
                    5,
                    "launchdeck-shop-staging",
                    "UPDATE_ROLLBACK_IN_PROGRESS",
                    "The following resource(s) failed to update: [WebService].",
                ),
                event(4, "WorkerService", "UPDATE_FAILED", "Resource update cancelled"),
                event(
                    3,
                    "WebService",
                    "UPDATE_FAILED",
                    "Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'.",
                ),
                event(2, "ApiService", "CREATE_FAILED", "Resource creation cancelled"),
                event(1, "WebService", "UPDATE_IN_PROGRESS"),
            ]
        },
        {"StackName": "launchdeck-shop-staging"},
    )

    failure = Stacks(client).failure("launchdeck-shop-staging", None)

    assert failure is not None and (failure.logical_id, failure.reason) == (
        "WebService",
        "Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'.",
    )


def test_no_failure_among_successes() -> None:
    ok = StackEvent("e1", AT, "WebService", "AWS::ECS::Service", "UPDATE_COMPLETE")
    assert first_failure([ok]) is None


def test_latest_event_id(stubbed) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_response(
        "describe_stack_events",
        {"StackEvents": [event(3, "X", "CREATE_COMPLETE")]},
        {"StackName": "launchdeck-shop"},
    )

    assert Stacks(client).latest_event_id("launchdeck-shop") == "e3"


def test_a_change_set_refused_at_once_for_having_no_changes_is_none(stubbed) -> None:
    client, stub = stubbed("cloudformation")
    stub.add_client_error("create_change_set", "ValidationError", "No updates are to be performed.")

    assert (
        Stacks(client).create_change_set(
            ChangeSetRequest("launchdeck-shop", "cs", "{}", create=False)
        )
        is None
    )


def test_a_template_in_s3_is_read_from_its_url_whatever_its_size(stubbed) -> None:
    client, stub = stubbed("cloudformation")
    url = "https://shop-templates.s3.us-east-1.amazonaws.com/launchdeck-shop-staging/ab.json"
    stub.add_response(
        "create_change_set",
        {"Id": "arn:cs", "StackId": "arn:stack"},
        {
            "StackName": "launchdeck-shop-staging",
            "ChangeSetName": "cs",
            "TemplateURL": url,
            "ChangeSetType": "UPDATE",
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
            "Parameters": [],
            "Tags": [],
        },
    )

    found = Stacks(client).create_change_set(
        ChangeSetRequest(
            "launchdeck-shop-staging", "cs", "x" * 60_000, create=False, template_url=url
        )
    )

    assert found == "arn:cs"
    stub.assert_no_pending_responses()


def test_templates_go_to_the_bucket_under_their_stack_and_digest(stubbed) -> None:
    client, stub = stubbed("s3")
    template = '{"Resources": {}}'
    digest = hashlib.sha256(template.encode()).hexdigest()
    stub.add_response(
        "put_object",
        {"ETag": '"e"'},
        {
            "Bucket": "shop-templates",
            "Key": f"launchdeck-shop-staging/{digest}.json",
            "Body": template.encode(),
            "ContentType": "application/json",
        },
    )

    url = Templates(client).put("shop-templates", "launchdeck-shop-staging", template)

    assert url == (
        f"https://shop-templates.s3.{client.meta.region_name}.amazonaws.com/"
        f"launchdeck-shop-staging/{digest}.json"
    )
    stub.assert_no_pending_responses()
