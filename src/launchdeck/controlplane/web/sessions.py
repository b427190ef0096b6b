"""Dashboard sessions, kept in the control plane's memory (a restart logs everyone out): an id
in an HttpOnly cookie names the token it acts with and the CSRF token its forms carry. Wrong
tokens at login are slowed down per client address."""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from launchdeck.controlplane.access.auth import Principal
from launchdeck.system import SYSTEM_CLOCK, Clock

IDLE = 8 * 3600.0  # a session unused this long is gone
MAX_SESSIONS = 1000
THROTTLE_BASE, THROTTLE_MAX = 0.5, 8.0  # seconds a login waits after wrong tokens
THROTTLE_FORGET = 900.0


@dataclass
class Session:
    id: str
    csrf: str
    token: str | None = None  # None: not logged in yet (the login form's session)
    principal: Principal | None = None
    last_seen: float = 0.0
    flash: list[tuple[str, str]] = field(default_factory=list)  # (kind, message) shown once
    once: Any = None  # what the next page shows once (a token just made)

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given, self.csrf)


class Sessions:
    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._failures: dict[str, tuple[int, float]] = {}  # client -> (wrong tokens, last)
        self._lock = threading.Lock()

    def new(self, token: str | None = None, principal: Principal | None = None) -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), token, principal)
        session.last_seen = self.clock.now()
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                oldest = min(self._sessions.values(), key=lambda s: s.last_seen)
                self._sessions.pop(oldest.id, None)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = self.clock.now()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or now - session.last_seen > IDLE:
                self._sessions.pop(session_id or "", None)
                return None
            session.last_seen = now
            return session

    def end(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def end_for_token(self, token: str) -> None:
        """Every session acting with `token` (a revoked token's)."""
        with self._lock:
            for sid in [s.id for s in self._sessions.values() if s.token == token]:
                self._sessions.pop(sid, None)

    # -- throttling wrong tokens -------------------------------------------------------------

    def delay_for(self, client: str) -> float:
        """How long a login from `client` waits before its token is checked."""
        with self._lock:
            count, last = self._failures.get(client, (0, 0.0))
        if not count or self.clock.now() - last > THROTTLE_FORGET:
            return 0.0
        return float(min(THROTTLE_MAX, THROTTLE_BASE * 2 ** (count - 1)))

    def failed(self, client: str) -> None:
        with self._lock:
            count, _ = self._failures.get(client, (0, 0.0))
            self._failures[client] = (count + 1, self.clock.now())

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
