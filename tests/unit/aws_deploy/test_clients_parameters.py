from __future__ import annotations

from launchdeck.drivers.aws.clients import Parameters

NAME = "/launchdeck/shop/staging/rolled-back-to"


def test_get_a_value_or_none(stubbed) -> None:
    client, stub = stubbed("ssm")
    stub.add_response(
        "get_parameter",
        {"Parameter": {"Name": NAME, "Type": "String", "Value": "{}", "Version": 1}},
        {"Name": NAME},
    )
    stub.add_client_error("get_parameter", "ParameterNotFound", "", expected_params={"Name": NAME})

    parameters = Parameters(client)
    assert parameters.get(NAME) == "{}"
    assert parameters.get(NAME) is None


def test_put_overwrites_and_delete_tolerates_a_missing_value(stubbed) -> None:
    client, stub = stubbed("ssm")
    stub.add_response(
        "put_parameter",
        {"Version": 2},
        {"Name": NAME, "Value": "{}", "Type": "String", "Overwrite": True},
    )
    stub.add_client_error(
        "delete_parameter", "ParameterNotFound", "", expected_params={"Name": NAME}
    )

    Parameters(client).put(NAME, "{}")
    Parameters(client).delete(NAME)
