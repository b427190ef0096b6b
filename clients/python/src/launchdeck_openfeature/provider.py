"""`LaunchdeckProvider`: OpenFeature's provider for launchdeck's flags.

Evaluation is local and takes no lock: it reads one reference to an immutable `FlagSet`, which
the poll thread replaces when the server sends a new one. A second thread reports the newest
`app_version` contexts carry; neither runs on the caller's thread.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider import AbstractProvider, Metadata

from .cache import FlagCache
from .evaluate import Resolution, evaluate
from .flagset import FlagSet, changed_flags
from .reporter import AppVersionReporter
from .server import Fetched, FlagServer
from .sync import Backoff, FlagSync

if TYPE_CHECKING:
    from openfeature.flag_evaluation import FlagValueType

log = logging.getLogger("launchdeck_openfeature")

URL_VARIABLE = "LAUNCHDECK_FLAGS_URL"
TOKEN_VARIABLE = "LAUNCHDECK_FLAGS_TOKEN"
CACHE_VARIABLE = "LAUNCHDECK_FLAGS_CACHE"
APP_VERSION = "app_version"  # the context attribute reported to the server
JOIN_TIMEOUT = 2.0  # shutdown aborts requests in flight, so threads end well within it
T = TypeVar("T")


@dataclass
class _Running:
    """What `initialize` starts and `shutdown` stops; `threads` is filled (under the provider's
    lock) only if `stop` was not set meanwhile: a shutdown during the first fetch wins."""

    stop: threading.Event
    servers: tuple[FlagServer, FlagServer]  # polling, reporting
    threads: list[threading.Thread] = field(default_factory=list)


class LaunchdeckProvider(AbstractProvider):
    """Flags of the environment at `url` (default: $LAUNCHDECK_FLAGS_URL), read with `token`
    ($LAUNCHDECK_FLAGS_TOKEN); launchdeck sets both in each instance. `wait` is the long poll's
    hold in seconds; `cache_path` ($LAUNCHDECK_FLAGS_CACHE) keeps the last set for a restart
    while the server is away. `transport` and `environ` are for tests."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        wait: float = 20.0,
        cache_path: str | os.PathLike[str] | None = None,
        transport: httpx.BaseTransport | None = None,
        environ: Mapping[str, str] | None = None,
        init_timeout: float = 2.0,
        backoff: Backoff = Backoff(),
    ) -> None:
        env = os.environ if environ is None else environ
        self._url = url or env.get(URL_VARIABLE) or None
        self._token = token or env.get(TOKEN_VARIABLE) or None
        cache = cache_path or env.get(CACHE_VARIABLE)
        self._cache = FlagCache(Path(cache)) if cache else None
        self._wait = wait
        self._transport = transport
        self._init_timeout = init_timeout
        self._backoff = backoff
        self._flags = FlagSet.empty()
        self._reporter = AppVersionReporter(lambda: self._flags.latest_app_version, backoff=backoff)
        self._running: _Running | None = None
        self._lock = threading.Lock()  # initialize and shutdown only; evaluation takes none

    @property
    def flags(self) -> FlagSet:
        """The set evaluations read now."""
        return self._flags

    def get_metadata(self) -> Metadata:
        return Metadata(name="launchdeck")

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Read the set once (at most `init_timeout` seconds; else the cache file, else no flags)
        and start the poll and report threads. Never raises: flags answer defaults meanwhile."""
        if self._url is None:
            log.warning(
                "launchdeck flags: no server URL: pass url= or set %s (launchdeck sets it in "
                "each instance)",
                URL_VARIABLE,
            )
            self._fall_back()
            return
        with self._lock:
            if self._running is not None:
                return
            poll, report = self._server(self._url), self._server(self._url)
            running = self._running = _Running(threading.Event(), (poll, report))
        sync = FlagSync(poll, self._install, wait=self._wait, backoff=self._backoff)
        if not sync.first(timeout=self._init_timeout):
            self._fall_back()
        with self._lock:
            if running.stop.is_set():
                return
            running.threads += [
                threading.Thread(
                    target=sync.run, args=(running.stop,), name="launchdeck-flags-poll"
                ),
                threading.Thread(
                    target=self._reporter.run,
                    args=(running.stop, report.report_app_version),
                    name="launchdeck-flags-report",
                ),
            ]
            for thread in running.threads:
                thread.daemon = True
                thread.start()

    def shutdown(self) -> None:
        """Stop both threads now: requests in flight are aborted, not waited for."""
        with self._lock:
            running, self._running = self._running, None
        if running is None:
            return
        running.stop.set()
        self._reporter.wake()
        for server in running.servers:
            server.abort()
        with self._lock:
            threads = list(running.threads)
        for thread in threads:
            thread.join(JOIN_TIMEOUT)

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        context = evaluation_context if evaluation_context is not None else EvaluationContext()
        flags = self._flags  # one read: the whole evaluation sees one set
        self._reporter.saw(context.attributes.get(APP_VERSION))
        resolution = evaluate(
            flag_key, flags.flags.get(flag_key), context, flags.latest_app_version
        )
        if (failed := _failed(resolution, default_value)) is not None:
            return failed
        return FlagResolutionDetails(
            value=resolution.value is True,
            reason=Reason(resolution.reason),
            variant=resolution.variant,
            flag_metadata={"flag_set_version": flags.version},
        )

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        return self._not_boolean(flag_key, default_value, "a string")

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        return self._not_boolean(flag_key, default_value, "an integer")

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        return self._not_boolean(flag_key, default_value, "a float")

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        return self._not_boolean(flag_key, default_value, "an object")

    def _not_boolean(self, flag_key: str, default_value: T, kind: str) -> FlagResolutionDetails[T]:
        if flag_key not in self._flags.flags:
            missing = evaluate(flag_key, None, EvaluationContext(), None)
            if (failed := _failed(missing, default_value)) is not None:
                return failed
        return FlagResolutionDetails(
            value=default_value,
            reason=Reason.ERROR,
            error_code=ErrorCode.TYPE_MISMATCH,
            error_message=f"flag {flag_key!r} is boolean: read it with get_boolean_value "
            f"(or get_boolean_details), not as {kind}",
        )

    def _server(self, url: str) -> FlagServer:
        return FlagServer(url, self._token, transport=self._transport)

    def _install(self, fetched: Fetched) -> None:
        """The poll thread's hand-over of a new set: swap, cache, tell OpenFeature's handlers."""
        old, self._flags = self._flags, fetched.flags
        if self._cache is not None:
            try:
                self._cache.save(fetched.body)
            except OSError as err:
                log.warning("launchdeck flags: cannot write the cache file (%s)", err)
        running = self._running
        changed = changed_flags(old, fetched.flags)
        if changed and running is not None and running.threads:  # not in initialize: READY is next
            try:
                self.emit_provider_configuration_changed(
                    ProviderEventDetails(flags_changed=changed)
                )
            except Exception:  # a handler's bug must not stop the poll thread
                log.exception("launchdeck flags: a configuration-changed handler failed")

    def _fall_back(self) -> None:
        if self._cache is not None and (cached := self._cache.load()) is not None:
            self._flags = cached
            log.warning(
                "launchdeck flags: evaluating flag set version %d from the cache file %s until "
                "the server answers",
                cached.version,
                self._cache.path,
            )
        elif self._flags.version == 0:
            log.warning(
                "launchdeck flags: no flag set yet: every flag answers the caller's default "
                "until the server answers"
            )


def _failed(resolution: Resolution, default: T) -> FlagResolutionDetails[T] | None:
    """The caller's default and the error, when `resolution` is one."""
    if resolution.error_code is None:
        return None
    return FlagResolutionDetails(
        value=default,
        reason=Reason.ERROR,
        error_code=ErrorCode(resolution.error_code),
        error_message=resolution.error_message,
    )
