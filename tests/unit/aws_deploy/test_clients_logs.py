from __future__ import annotations

from launchdeck.drivers.aws.clients import LogEvent, Logs


def test_events_follow_next_token_to_the_end(stubbed) -> None:
    client, stub = stubbed("logs")
    stub.add_response(
        "filter_log_events",
        {
            "events": [
                {
                    "logStreamName": "web/web/1",
                    "timestamp": 1000,
                    "message": "one\n",
                    "ingestionTime": 1001,
                    "eventId": "a",
                }
            ],
            "nextToken": "more",
        },
        {"logGroupName": "/launchdeck/shop-staging/web", "startTime": 500},
    )
    stub.add_response(
        "filter_log_events",
        {
            "events": [
                {
                    "logStreamName": "web/web/2",
                    "timestamp": 2000,
                    "message": "two",
                    "ingestionTime": 2001,
                    "eventId": "b",
                }
            ],
        },
        {"logGroupName": "/launchdeck/shop-staging/web", "startTime": 500, "nextToken": "more"},
    )

    found = list(Logs(client).events("/launchdeck/shop-staging/web", 500))

    assert found == [
        LogEvent("a", 1000, "web/web/1", "one"),
        LogEvent("b", 2000, "web/web/2", "two"),
    ]


GROUP = "/launchdeck/shop/production/run"
STREAM = "run/run/0123456789abcdef"


def test_page_reads_a_stream_from_its_start_then_from_the_token(stubbed) -> None:
    client, stub = stubbed("logs")
    stub.add_response(
        "get_log_events",
        {
            "events": [
                {"timestamp": 1000, "message": "Applying migrations\n", "ingestionTime": 1001},
                {"timestamp": 1005, "message": "OK", "ingestionTime": 1006},
            ],
            "nextForwardToken": "f/2",
            "nextBackwardToken": "b/0",
        },
        {"logGroupName": GROUP, "logStreamName": STREAM, "startFromHead": True},
    )
    stub.add_response(
        "get_log_events",
        {"events": [], "nextForwardToken": "f/2", "nextBackwardToken": "b/2"},
        {"logGroupName": GROUP, "logStreamName": STREAM, "startFromHead": True, "nextToken": "f/2"},
    )
    logs = Logs(client)

    assert logs.page(GROUP, STREAM, None) == (
        [LogEvent("", 1000, STREAM, "Applying migrations"), LogEvent("", 1005, STREAM, "OK")],
        "f/2",
    )
    assert logs.page(GROUP, STREAM, "f/2") == ([], "f/2")  # the end: the same token back


def test_page_before_the_stream_exists_is_empty_and_keeps_the_place(stubbed) -> None:
    client, stub = stubbed("logs")
    stub.add_client_error(
        "get_log_events",
        service_error_code="ResourceNotFoundException",
        service_message="The specified log stream does not exist.",
    )

    assert Logs(client).page(GROUP, STREAM, None) == ([], None)
