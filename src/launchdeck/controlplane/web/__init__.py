"""The dashboard: server-rendered pages on the API's port, for people rather than scripts.

It reads and changes nothing itself: every page and every form calls the same HTTP API the CLI
calls, in process and with the logged-in token, so the API's permissions, checks and audit apply
to it as they do to the CLI. The token stays on the server: the browser holds only an HttpOnly,
SameSite=Strict session cookie, and every form carries the session's CSRF token.

Owns: sessions, login throttling, CSRF, templates and vendored assets.
Must not import: the store or the use cases directly (it goes through the API).
"""

from launchdeck.controlplane.web.app import create_web

__all__ = ["create_web"]
