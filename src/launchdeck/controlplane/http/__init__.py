"""The control plane's HTTP API: one router per resource, each route declaring the permission
it needs (`security.needs`) and the shape it answers (`models`).

Owns: routes, authentication, the audit middleware, error bodies.
Must not import: the CLI; it reaches drivers only through the control plane's use cases.
"""

from launchdeck.controlplane.http.app import INVALID_REQUEST_FIX, create_api

__all__ = ["INVALID_REQUEST_FIX", "create_api"]
