"""An HTTP health probe straight to an instance (the rollout's gate, before HAProxy sees it)."""

from __future__ import annotations

import http.client


def probe(port: int, path: str, *, timeout: float, host: str = "127.0.0.1") -> bool:
    """True when GET `path` answers 2xx or 3xx within `timeout` seconds."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "localhost", "User-Agent": "launchdeck-health"})
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    return 200 <= status < 400
