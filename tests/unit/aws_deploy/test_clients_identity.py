from __future__ import annotations

from launchdeck.drivers.aws.clients import Identity


def test_the_account_of_the_credentials(stubbed) -> None:
    client, stub = stubbed("sts")
    stub.add_response(
        "get_caller_identity",
        {
            "UserId": "AROA:ci",
            "Account": "123456789012",
            "Arn": "arn:aws:sts::123456789012:assumed-role/launchdeck-deploy/ci",
        },
        {},
    )

    assert Identity(client).account_id() == "123456789012"
