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
