"""Generate the manifest reference (docs/manifest.md) from the schema, or check it is current.

python -m launchdeck.manifest.docs --write docs/manifest.md
python -m launchdeck.manifest.docs --check docs/manifest.md   # exit 1 when stale
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from launchdeck.manifest.alerts.types import METRIC_HELP
from launchdeck.manifest.introspect import (
    doc_of,
    field_type,
    model_of,
    split,
    toml_fields,
    toml_value,
)
from launchdeck.manifest.schema import ManifestFile
from launchdeck.manifest.values.units import DURATION_HELP, SIZE_HELP

EXAMPLE = """\
app = "shop"

[build]                       # optional: detected from the source tree
kind = "python"
command = "npm run build"

[release]                     # runs once per release, before traffic moves
command = "python manage.py migrate"
timeout = "5m"

[test]                        # runs on every deploy, before the release; failure rejects it
command = "python -m pytest -q"
timeout = "10m"

[git]                         # `git push launchdeck <branch>` deploys to this environment
branches = { main = "staging" }

[services.web]
command = "gunicorn shop.wsgi --bind 0.0.0.0:$PORT"
port = "$PORT"
scale = { count = 2, min = 2, max = 8, cpu = 60, requests_per_instance = 200 }
resources = { cpu = 0.5, memory = "512MiB" }
rollout = { max_surge = "100%", max_unavailable = 0 }
drain = "10s"
stop_timeout = "30s"

[services.web.health]         # or inline: health = { path = "/health" }
path = "/health"
interval = "1s"
timeout = "2s"
healthy = 2
unhealthy = 3
grace = "30s"

[services.worker]             # no port: a worker, gets no traffic and no health check
command = "python -m shop.worker"

[environments.production]     # partial: count/min/max replace web's, cpu stays 60
scale.web = { count = 3, min = 3, max = 20 }
health.web = { path = "/ready" }
resources.web = { memory = "1GiB" }
config = { LOG_LEVEL = "info" }
domains = ["api.example.com"]
aws = { azs = 3, db_instance = "db.t4g.small", log_retention_days = 365 }

[addons.postgres]             # DATABASE_URL; RDS on AWS
version = "16"

[addons.redis]                # REDIS_URL; ElastiCache on AWS
version = "7"

[aws]                         # read by `launchdeck aws ...` only; see docs/aws.md
region = "us-east-1"
nat = "single"
domain = "shop.example.com"   # staging gets staging.shop.example.com
github = "shop-inc/shop"
secrets = ["STRIPE_KEY"]
cloudfront = { static_paths = ["/_next/static/*"] }

[notify]                      # deployments and alerts are posted here
webhooks = ["$SLACK_WEBHOOK_URL"]

[[alerts]]                    # one [[alerts]] table per alert
name = "slow"
metric = "p95_ms"
above = 500                   # milliseconds; or "0.5s"
for = "5m"

[[alerts]]
name = "errors"
metric = "error_rate"
above = "2%"
datapoints = "3 of 5"         # 3 of the last 5 datapoints (10s apart)
keep_firing_for = "5m"

[[alerts]]
name = "tracebacks"
log = 'Traceback|CRITICAL'    # single quotes: backslashes stay as written
count = 5
within = "1m"
service = "web"

[[environments.staging.alerts]]
name = "slow"                 # staging: the top-level "slow" is off
enabled = false
"""

_INTRO = """\
# launchdeck.toml reference

<!-- Generated from src/launchdeck/manifest/schema.py by
     `python -m launchdeck.manifest.docs --write docs/manifest.md`; do not edit by hand. -->

`launchdeck.toml` sits at the root of the app. Every key is checked before anything is built:
an unknown key, a value of the wrong type or out of range is reported with its path, the value
found and a fix, all problems at once. A `Procfile` alone is enough for a simple app.

## Value formats

- **duration**: {duration}.
- **size**: {size}. `KiB`, `MiB`, `GiB` are binary (1MiB = 1048576 bytes);
  `K`, `M`, `G` are decimal (1M = 1000000 bytes).
- **name** (app, service, environment): up to 30 lowercase letters, digits or `-`, starting
  with a letter.
- **integer or "N%"**: a number of instances, or a percentage of the service's `count`
  (rounded up).
- **service name**: the name of a service defined in `[services]` (or the Procfile).
- **variable name**: letters, digits and `_`, not starting with a digit (`LOG_LEVEL`).
- **hostname**: a DNS name such as `api.example.com`, without scheme, port or path.
- **branch name**: a git branch such as `main` or `release/2` (no spaces, `..` or leading `-`).
- **AWS region**: a region code such as `us-east-1`; `launchdeck aws` checks it is one it knows.
- **ACM certificate ARN**: `arn:aws:acm:<region>:<account>:certificate/<id>`, as ACM shows it.
- **RDS instance class**, **ElastiCache node type**: such as `db.t4g.micro`, `cache.t4g.micro`.
- **days**: a retention CloudWatch Logs offers (1, 3, 5, 7, 14, 30, 60, 90, ... 365, ... 3653).
- **path pattern**: a CloudFront path pattern starting with `/`, such as `/_next/static/*`.
- **metric**: what an alert watches. Request figures come from the router, so only services
  with a port have them; `crashes`, `health_replacements`, `disk_free`,
  `autoscale_capped` and `queue_depth` are measured on one host only (`launchdeck aws` refuses
  them).
{metrics}
- **threshold**: a number in the metric's unit: a percentage for `error_rate`, `cpu`,
  `memory` and `disk_free` (`"2%"`); milliseconds for `p50_ms`, `p95_ms` and `p99_ms` (`500`,
  or a time like `"500ms"` or `"1.5s"`); a number for `requests_per_s`, `crashes` and
  `health_replacements`, `autoscale_capped`, `queue_depth`.
- **built-in alerts**: every environment has these without a word of config: `crash-loop`
  (`crashes` above 2: a third crash of a service within 5 minutes), `failing-health`
  (`health_replacements` above 0: an instance replaced for failing its health check),
  `low-disk` (`disk_free` below 10% for 1m: the disk of the add-ons' data),
  `autoscale-capped` (`autoscale_capped` above 0: autoscaling wants instances the host's free
  memory, by `resources.memory`, cannot take) and `backup-failed` (posted at once, with the
  reason, when a database backup fails or fails its verification). An `[[alerts]]` of the
  same name replaces one; `name = "low-disk"` with `enabled = false` turns one off (at the
  top level: everywhere).
- **"M of N"**: M of the last N datapoints, such as `"3 of 5"`; datapoints are 10s apart and
  N is at most 360 (an hour).
- **regular expression**: Python's `re` syntax, searched for in each line; in single quotes
  (a TOML literal string) backslashes stay as written: `log = 'Error \\[\\d+\\]'`.

## Example

```toml
{example}```
"""

_PROCFILE = """\
## Procfile

Without a `launchdeck.toml`, or when it has no `[services]`, services come from a `Procfile`:
one `name: command` line per service; blank lines and `#` comments are ignored. The `web`
service gets `port = "$PORT"` and the default health check; the others are workers. When
`launchdeck.toml` defines `[services]`, a Procfile next to it is ignored.

```
web: gunicorn shop.wsgi --bind 0.0.0.0:$PORT
worker: python -m shop.worker
```
"""
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def render() -> str:
    """The whole reference as markdown."""
    sections = _section_names(ManifestFile)
    metrics = "\n".join(f"  - `{metric}`: {text}" for metric, text in METRIC_HELP.items())
    intro = _INTRO.format(duration=DURATION_HELP, size=SIZE_HELP, example=EXAMPLE, metrics=metrics)
    tables = [_render_section(model, name, sections) for model, name in sections.items()]
    return "\n".join([intro, *tables, _PROCFILE])


def _section_names(root: type[BaseModel]) -> dict[type[BaseModel], str]:
    """Each model and the TOML table header it documents (`[services.<service>]`, `[[alerts]]`),
    depth first; a reused model keeps its first."""
    names: dict[type[BaseModel], str] = {}

    def visit(model: type[BaseModel], dotted: str, array: bool) -> None:
        if model in names:
            return
        names[model] = f"[[{dotted}]]" if array else f"[{dotted}]" if dotted else ""
        for key, field in toml_fields(model).items():
            child = _child_table(key, field, f"{dotted}.{key}" if dotted else key)
            if child is not None:
                visit(*child)

    visit(root, "", False)
    return names


def _child_table(key: str, field: FieldInfo, name: str) -> tuple[type[BaseModel], str, bool] | None:
    core = field_type(field)[0]
    if (model := model_of(core)) is not None:
        return model, name, False
    if get_origin(core) is dict and (model := model_of(split(get_args(core)[1])[0])):
        # services.<service>, environments.<environment>
        return model, f"{name}.<{key.removesuffix('s')}>", False
    if get_origin(core) is list and (model := model_of(split(get_args(core)[0])[0])):
        return model, name, True  # [[alerts]]: an array of tables
    return None


def _render_section(model: type[BaseModel], name: str, sections: dict[type[BaseModel], str]) -> str:
    heading = f"## `{name}`" if name else "## Top level"
    rows = [_row(key, field, sections) for key, field in toml_fields(model).items()]
    header = "| key | type | default | description | example |\n| --- | --- | --- | --- | --- |"
    return "\n".join([heading, "", inspect.cleandoc(model.__doc__ or ""), "", header, *rows, ""])


def _row(key: str, field: FieldInfo, sections: dict[type[BaseModel], str]) -> str:
    core, metadata = field_type(field)
    example = toml_value(field.examples[0]) if field.examples else ""
    cells = [
        f"`{key}`",
        _type_text(core, metadata, sections),
        _default_text(field),
        field.description or "",
        f"`{example}`" if field.examples else "",
    ]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _type_text(core: Any, metadata: list[object], sections: dict[type[BaseModel], str]) -> str:
    doc = doc_of(metadata)
    model = model_of(core)
    origin = get_origin(core)
    if doc is not None:
        return doc.type_name
    if model is not None:
        return f"table `{sections[model]}`"
    if origin is dict:
        key, value = (split(arg) for arg in get_args(core))
        return f"{_type_text(*value, sections)} per {_type_text(*key, sections)}"
    if origin is list:
        item, item_metadata = split(get_args(core)[0])
        if (table := model_of(item)) is not None:
            return f"array of tables `{sections[table]}`"
        return f"array of {_type_text(item, item_metadata, sections)}"
    if origin is Literal:
        return " or ".join(json.dumps(choice) for choice in get_args(core))
    return _SCALARS[core]


def _default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    doc = doc_of(field_type(field)[1])
    if value is None:
        return "not set"
    if isinstance(value, BaseModel):
        return "see its table"
    return f"`{doc.show(value) if doc and doc.show else toml_value(value)}`"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m launchdeck.manifest.docs")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, metavar="PATH", help="write the reference here")
    action.add_argument("--check", type=Path, metavar="PATH", help="exit 1 if PATH is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.write is not None:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text, encoding="utf-8")
        return 0
    path: Path = args.check
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        print(f"{path} is stale; regenerate it with: {parser.prog} --write {path}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
