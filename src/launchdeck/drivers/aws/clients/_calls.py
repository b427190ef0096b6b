"""One place turns botocore's exceptions into AwsCallFailed, naming the service and operation,
for single calls and for each page of a paginated one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from launchdeck.drivers.aws.errors import AwsCallFailed

Page = TypeVar("Page")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


@contextmanager
def calling(service: str, operation: str) -> Iterator[None]:
    """Errors a wrapper did not handle itself leave as AwsCallFailed."""
    try:
        yield
    except ClientError as exc:
        raise AwsCallFailed(service, operation, error_code(exc), error_message(exc)) from exc
    except BotoCoreError as exc:  # no route to the endpoint, bad region, ...
        raise AwsCallFailed(service, operation, type(exc).__name__, str(exc)) from exc


def pages(service: str, operation: str, paginated: Iterable[Page]) -> Iterator[Page]:
    """The pages of a botocore paginator, each fetched inside `calling`; a caller that stops
    early fetches no more."""
    remaining = iter(paginated)
    while True:
        with calling(service, operation):
            page = next(remaining, None)
        if page is None:
            return
        yield page
