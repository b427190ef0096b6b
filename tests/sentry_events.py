"""Real sentry-sdk events, made in-process: the SDK is initialised with a DSN pointing nowhere
and a transport that keeps the envelopes it would send, and the errors are raised by the small
"app" below (and by source exec'd as module `shop.billing`, at any line offset)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope as SdkEnvelope
from sentry_sdk.integrations.logging import EventHandler
from sentry_sdk.transport import Transport

DSN = "http://publickey@127.0.0.1:9/1"
RELEASE = "shop@1.4.0"


class KeepEnvelopes(Transport):
    """What the SDK would send, kept as the bytes its HTTP transport would compress."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.sent: list[bytes] = []

    def capture_envelope(self, envelope: SdkEnvelope) -> None:
        self.sent.append(envelope.serialize())


@contextmanager
def sdk(**options: Any) -> Iterator[list[bytes]]:
    """The SDK initialised as an app would; yields the envelopes it sends (flushed at the end).
    `transport=None` leaves the SDK its own HTTP transport, sending to `dsn`."""
    transport = KeepEnvelopes()
    settings: dict[str, Any] = {
        "dsn": DSN,
        "transport": transport,
        "release": RELEASE,
        "environment": "production",
        "default_integrations": False,  # no global hooks left behind in the test process
        "in_app_include": ["shop", "tests"],
    }
    sentry_sdk.init(**(settings | options))
    try:
        # scopes of their own: a transaction's name or a tag set here never leaks into the
        # events of the next test in this process
        with sentry_sdk.isolation_scope(), sentry_sdk.new_scope():
            yield transport.sent
    finally:
        sentry_sdk.flush()
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


def envelopes_of(action: Callable[[], object], **options: Any) -> list[bytes]:
    """The envelopes the SDK sends while `action` runs."""
    with sdk(**options) as sent:
        action()
    return sent


def reported(
    fn: Callable[..., object], *args: object, fingerprint: list[str] | None = None
) -> Callable[[], None]:
    """An action: call `fn`, and report what it raises as an app's `except` block would (with
    the fingerprint an app can set on the scope)."""

    def action() -> None:
        try:
            fn(*args)
        except Exception:
            if fingerprint is None:
                sentry_sdk.capture_exception()
            else:
                sentry_sdk.capture_exception(fingerprint=fingerprint)

    return action


def payloads(envelopes: list[bytes]) -> list[dict[str, Any]]:
    """The event payloads, read back by the SDK's own envelope parser."""
    events = []
    for raw in envelopes:
        for item in SdkEnvelope.deserialize(raw).items:
            if item.type == "event":
                events.append(json.loads(item.get_bytes()))
    return events


def event(action: Callable[[], object], **options: Any) -> dict[str, Any]:
    (only,) = payloads(envelopes_of(action, **options))
    return only


def logged(template: str, *args: object) -> Callable[[], None]:
    """An action: log an error through the SDK's logging handler, as `logging` users do."""

    def action() -> None:
        logger = logging.getLogger("shop.orders")
        handler = EventHandler(level=logging.ERROR)
        logger.addHandler(handler)
        try:
            logger.error(template, *args)
        finally:
            logger.removeHandler(handler)

    return action


# the app


def place_order(order: dict[str, int]) -> float:
    return unit_price(order)


def unit_price(order: dict[str, int]) -> float:
    return order["amount"] / order["quantity"]


def parse_port(text: str) -> int:
    return int(text)


def checkout(order: dict[str, int]) -> float:
    try:
        return place_order(order)
    except ZeroDivisionError as exc:
        raise RuntimeError("checkout failed") from exc


def countdown(n: int) -> int:
    if n == 0:
        raise LookupError("reached zero")
    return countdown(n - 1)


BILLING = """
def charge(order):
    return apply_discount(order)


def apply_discount(order):
    return order["total"] / order["items"]
"""


def billing(blank_lines: int = 0, *, source: str = BILLING) -> Callable[[dict[str, int]], float]:
    """`shop.billing.charge` as a release would ship it: the same code `blank_lines` lower."""
    code = compile("\n" * blank_lines + source, "/srv/shop/shop/billing.py", "exec")
    namespace: dict[str, Any] = {"__name__": "shop.billing"}
    exec(code, namespace)
    charge: Callable[[dict[str, int]], float] = namespace["charge"]
    return charge


def submit(action: Callable[..., object], *args: object) -> object:
    try:
        return action(*args)
    except Exception as exc:
        raise RuntimeError("submit failed") from exc
