"""One-off runs (`launchdeck run`) and, on them, scheduled jobs: starting a run of an
environment's current release, attaching a client to it (a WebSocket relaying a pseudo-terminal
or pipes), recording how it ended. Must not import: execution."""
