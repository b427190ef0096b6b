"""The host's settings an admin keeps: the backup target (where copies of every cluster go, and
the keys that sign them; its secret is never shown)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.databases.target import (
    NO_TARGET,
    BackupTargetFile,
    TargetUnreadable,
    parse_target,
)
from launchdeck.controlplane.errors import Conflict, Invalid
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.plane import ControlPlane

TARGET = "/v1/settings/backup-target"


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter(dependencies=[needs(Permission.MANAGE_SETTINGS, env_param=None)])

    @api.get(TARGET, response_model=models.Listing)
    def show_backup_target() -> dict[str, Any]:
        try:
            found = BackupTargetFile(cp.home).get()
        except TargetUnreadable as exc:  # e.g. LAUNCHDECK_SECRET_KEY changed since it was set
            raise Conflict(exc.message, exc.fix) from None
        return NO_TARGET if found is None else found.public_json()

    @api.put(TARGET, response_model=models.Listing)
    def set_backup_target(body: Annotated[Any, Body()] = None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Invalid(
                "the body should be a JSON object with bucket, prefix, endpoint, region, "
                "access_key_id and secret_access_key",
                "e.g. launchdeck db backups target set --bucket shop-backups",
            )
        parsed = parse_target(body)
        BackupTargetFile(cp.home).set(parsed)
        return parsed.public_json()

    @api.delete(TARGET, response_model=models.Listing)
    def unset_backup_target() -> dict[str, Any]:
        removed = BackupTargetFile(cp.home).unset()
        return {**NO_TARGET, "removed": removed}

    return api
