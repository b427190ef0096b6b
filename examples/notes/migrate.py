"""The release-phase migration: runs once per release, before any new instance takes traffic."""

import os

import psycopg

with psycopg.connect(os.environ["DATABASE_URL"]) as db:
    db.execute(
        "CREATE TABLE IF NOT EXISTS notes ("
        " id bigserial PRIMARY KEY, body text NOT NULL, created_at timestamptz DEFAULT now())"
    )
print("migrated: table notes is ready", flush=True)
