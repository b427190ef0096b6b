"""The dashboard's routes: login and logout, then pages that call the API with the session's
token (in process) and render what it answers. A form is accepted only with the session's CSRF
token; what it changes goes through the API, whose answer (or `error` and `fix`) is shown."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from urllib.parse import quote as _quote

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from launchdeck.controlplane.access.auth import Permission, Principal, authorize
from launchdeck.controlplane.errors import ApiError
from launchdeck.controlplane.web.charts import charts
from launchdeck.controlplane.web.sessions import Session, Sessions
from launchdeck.domain import NAME_RE
from launchdeck.domain.logs import level_of

if TYPE_CHECKING:  # the API imports this module to mount it
    from launchdeck.controlplane.http.security import Authenticate

HERE = Path(__file__).parent
RANGES = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
COOKIE = "launchdeck_session"
Page = Callable[[Request, Session], Awaitable[Response]]


class TokenGone(Exception):
    """The session's token no longer opens the API."""


class Api:
    """The HTTP API, called in process with a session's token: the same checks and audit as
    the CLI's calls."""

    def __init__(self, app: Any) -> None:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://launchdeck")

    async def call(
        self, session: Session, method: str, path: str, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"authorization": f"Bearer {session.token}"}
        response = await self.client.request(method, path, headers=headers, **kwargs)
        if response.status_code == 401:
            raise TokenGone  # revoked (or the owner's rotated) since the login
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    async def lines(
        self, session: Session, path: str, **kwargs: Any
    ) -> tuple[int, list[dict[str, Any]] | Any]:
        """A GET of an NDJSON list (events, log lines): its entries, read line by line (one
        line alone is also a JSON document, and must still be one entry); an error's body."""
        status, answer = await self.call(session, "GET", path, **kwargs)
        if status != 200:
            return status, answer
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return status, [json.loads(line) for line in text.splitlines() if line.strip()]


def create_web(api_app: Any, auth: Authenticate) -> Starlette:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["when"] = _when
    sessions, api = Sessions(), Api(api_app)

    def render(request: Request, session: Session, name: str, **context: Any) -> Response:
        flash, session.flash = session.flash, []
        context.update(session=session, flash=flash, can=_can(session.principal))
        return templates.TemplateResponse(request, name, context)

    def refused(request: Request, session: Session, problem: str, back: str) -> Response:
        session.flash.append(("error", problem))
        response = render(request, session, "refused.html", back=back)
        response.status_code = 403
        return response

    def logged_in(page: Page) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            names = (request.path_params.get(key) for key in ("app", "env"))
            if any(name is not None and not NAME_RE.fullmatch(name) for name in names):
                return Response("no such page", status_code=404)  # e.g. "..": never an API path
            session = sessions.get(request.cookies.get(COOKIE))
            if session is None or session.token is None:
                return RedirectResponse("/login", status_code=303)
            if request.method == "POST":
                form = await _form(request)
                if not session.csrf_ok(form.get("csrf")):
                    return Response("the form's CSRF token is missing or wrong", status_code=403)
                request.state.form = form
            try:
                return await page(request, session)
            except TokenGone:
                sessions.end(session.id)
                return RedirectResponse("/login", status_code=303)

        return guarded

    async def login(request: Request) -> Response:
        session = sessions.get(request.cookies.get(COOKIE)) or sessions.new()
        if request.method == "GET":
            return _with_cookie(render(request, session, "login.html"), session)
        form = await _form(request)
        if not session.csrf_ok(form.get("csrf")):
            return Response("the form's CSRF token is missing or wrong", status_code=403)
        client = request.client.host if request.client else "?"
        await asyncio.sleep(sessions.delay_for(client))
        token = form.get("token", "").strip()
        try:
            principal = auth.principal(f"Bearer {token}")
        except ApiError:
            sessions.failed(client)
            session.flash.append(("error", "That token is not valid: check it and try again."))
            return _with_cookie(render(request, session, "login.html"), session, status=401)
        sessions.succeeded(client)
        sessions.end(session.id)  # a new id once logged in: a planted one is worth nothing
        fresh = sessions.new(token, principal)
        return _with_cookie(RedirectResponse("/", status_code=303), fresh)

    async def logout(request: Request, session: Session) -> Response:
        sessions.end(session.id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def apps(request: Request, session: Session) -> Response:
        _, listed = await api.call(session, "GET", "/v1/apps")  # each with its environments
        rows = [
            {"app": app["name"], "env": env, **summary}
            for app in (listed if isinstance(listed, list) else [])
            for env, summary in sorted(app.get("envs", {}).items(), key=_pipeline_order)
        ]
        return render(request, session, "apps.html", rows=rows)

    async def env_page(request: Request, session: Session) -> Response:
        app, env = request.path_params["app"], request.path_params["env"]
        base = f"/v1/apps/{quote(app)}/envs/{quote(env)}"
        status, info = await api.call(session, "GET", base)
        if status != 200:
            session.flash.append(("error", _problem(info)))
            return RedirectResponse("/", status_code=303)
        _, releases = await api.call(session, "GET", f"{base}/releases")
        reveal = request.query_params.get("reveal") == "1"
        params = {"reveal": "true"} if reveal else {}
        status, config = await api.call(session, "GET", f"{base}/config", params=params)
        if status != 200:  # a reveal refused (not an admin): say why, show them masked
            session.flash.append(("error", _problem(config)))
            _, config = await api.call(session, "GET", f"{base}/config")
        _, domains = await api.call(session, "GET", f"{base}/domains")
        _, usage = await api.call(session, "GET", f"{base}/metrics", params={"since": 60})
        _, addons = await api.call(session, "GET", f"{base}/addons")
        addons = addons if isinstance(addons, list) else []
        _, queues = await api.call(session, "GET", f"{base}/queues")
        backups: Any = None
        if any(a.get("kind") == "postgres" for a in addons):
            status, backups = await api.call(session, "GET", f"{base}/db/backups")
            backups = backups if status == 200 else None
        return render(
            request,
            session,
            "env.html",
            app=app,
            env=env,
            info=info,
            releases=releases if isinstance(releases, list) else [],
            config=config.get("config", {}) if isinstance(config, dict) else {},
            secrets=config.get("secrets", []) if isinstance(config, dict) else [],
            domains=domains if isinstance(domains, list) else [],
            usage={i["instance"]: i for i in (usage or {}).get("instances", [])}
            if isinstance(usage, dict)
            else {},
            addons=addons,
            queues=queues if isinstance(queues, list) else [],
            backups=backups,
            revealed=reveal,
        )

    async def env_action(request: Request, session: Session) -> Response:
        app, env = request.path_params["app"], request.path_params["env"]
        action, form = request.path_params["action"], request.state.form
        base = f"/v1/apps/{quote(app)}/envs/{quote(env)}"
        here = f"/apps/{quote(app)}/{quote(env)}"
        call = _ACTIONS.get(action)
        if call is None:
            return Response("no such action", status_code=404)
        method, path, body, done = call(base, form)
        status, answer = await api.call(session, method, path, json=body)
        if status == 403:  # a control this role is not offered, posted anyway
            return refused(request, session, _problem(answer), here)
        if status >= 400:
            session.flash.append(("error", _problem(answer)))
            return RedirectResponse(here, status_code=303)
        session.flash.append(("ok", done))
        dep = answer.get("deployment", answer) if isinstance(answer, dict) else None
        if isinstance(dep, dict) and "id" in dep and "state" in dep:
            return RedirectResponse(f"/deployments/{dep['id']}", status_code=303)
        return RedirectResponse(here, status_code=303)

    async def promotion(request: Request, session: Session) -> Response:
        """The preview (GET) of promoting one environment's build to another, and the promotion
        itself (POST, from that preview's form)."""
        app = request.path_params["app"]
        if request.method == "POST":
            form = request.state.form
            source, target = form.get("from", ""), form.get("to", "")
            path = f"/v1/apps/{quote(app)}/envs/{quote(target)}/promotions"
            status, answer = await api.call(session, "POST", path, json={"from": source})
            if status == 403:
                return refused(request, session, _problem(answer), "/")
            if status >= 400:
                session.flash.append(("error", _problem(answer)))
                return RedirectResponse("/", status_code=303)
            session.flash.append(("ok", f"Promoting {source} to {target}"))
            return RedirectResponse(f"/deployments/{answer['id']}", status_code=303)
        source = request.query_params.get("from", "staging")
        target = request.query_params.get("to", "production")
        params = {"from": source, "to": target}
        status, preview = await api.call(
            session, "GET", f"/v1/apps/{quote(app)}/promotion", params=params
        )
        if status != 200:
            session.flash.append(("error", _problem(preview)))
            return RedirectResponse("/", status_code=303)
        return render(request, session, "promote.html", app=app, preview=preview)

    async def logs(request: Request, session: Session) -> Response:
        app, env = request.path_params["app"], request.path_params["env"]
        wanted = _log_filters(request)
        status, entries = await _log_lines(api, session, app, env, wanted, since=None)
        if status != 200:
            session.flash.append(("error", _problem(entries)))
            entries = []
        query = "&".join(f"{k}={quote(v)}" for k, v in wanted.items() if v)
        last = entries[-1]["ts"] if entries else 0.0
        follow = f"/apps/{quote(app)}/{quote(env)}/logs/stream?since={last}&{query}"
        return render(
            request, session, "logs.html", app=app, env=env, entries=entries,
            wanted=wanted, follow=follow,
        )  # fmt: skip

    async def logs_stream(request: Request, session: Session) -> Response:
        """Server-sent events: new lines as they are logged (polled every second)."""
        app, env = request.path_params["app"], request.path_params["env"]
        wanted = _log_filters(request)
        since = float(request.query_params.get("since") or 0) or None

        async def lines() -> AsyncIterator[bytes]:
            after = since
            while True:
                _, entries = await _log_lines(api, session, app, env, wanted, since=after)
                for entry in entries:
                    after = max(after or 0.0, float(entry["ts"]))
                    yield f"data: {json.dumps(entry)}\n\n".encode()
                if not entries:
                    yield b": waiting\n\n"  # a closed page ends the stream at the next write
                await asyncio.sleep(1.0)

        return StreamingResponse(lines(), media_type="text/event-stream")

    async def metrics(request: Request, session: Session) -> Response:
        app, env = request.path_params["app"], request.path_params["env"]
        span = request.query_params.get("range", "1h")
        since = RANGES.get(span, RANGES["1h"])
        base = f"/v1/apps/{quote(app)}/envs/{quote(env)}"
        status, found = await api.call(session, "GET", f"{base}/metrics", params={"since": since})
        if status != 200:
            session.flash.append(("error", _problem(found)))
            found = {"services": {}}
        _, alerts = await api.call(session, "GET", f"{base}/alerts", params={"history": 20})
        start = float(found.get("since") or time.time() - since)
        step = float(found.get("step") or 10)
        services = {
            name: charts(figures.get("points", []), start, start + since - step)
            for name, figures in sorted(found.get("services", {}).items())
        }
        return render(
            request, session, "metrics.html", app=app, env=env, span=span, ranges=RANGES,
            services=services, alerts=alerts if isinstance(alerts, dict) else {},
        )  # fmt: skip

    async def access(request: Request, session: Session) -> Response:
        """Tokens and the audit log (admins); a token made here is shown once, on the page the
        form leads to (kept in the server's session until then, never in a URL)."""
        if request.method == "POST":
            form = request.state.form
            if form.get("revoke"):
                path = f"/v1/tokens/{quote(form['revoke'])}"
                status, answer = await api.call(session, "DELETE", path)
                done = f"Revoked token {form['revoke']}"
            else:
                body = {"role": form.get("role", "viewer"), "name": form.get("name") or None}
                status, answer = await api.call(session, "POST", "/v1/tokens", json=body)
                done = "Token created: copy it now, it is not shown again"
                session.once = answer if status < 400 else None
            session.flash.append(("error", _problem(answer)) if status >= 400 else ("ok", done))
            return RedirectResponse("/access", status_code=303)
        created, session.once = session.once, None
        _, tokens = await api.call(session, "GET", "/v1/tokens")
        _, audit = await api.call(session, "GET", "/v1/audit", params={"limit": 100})
        return render(
            request, session, "access.html",
            tokens=tokens if isinstance(tokens, list) else [],
            audit=audit if isinstance(audit, list) else [],
            created=created if isinstance(created, dict) else None,
        )  # fmt: skip

    async def deployment(request: Request, session: Session) -> Response:
        dep_id = int(request.path_params["dep_id"])
        # the deployment before its events: one that finishes in between is still followed
        # (its last events come live, then "finished"), never shown finished without them
        status, dep = await api.call(session, "GET", f"/v1/deployments/{dep_id}")
        if status != 200:
            session.flash.append(("error", _problem(dep)))
            return RedirectResponse("/", status_code=303)
        _, events = await api.lines(session, f"/v1/deployments/{dep_id}/events")
        lines = events if isinstance(events, list) else []
        return render(request, session, "deployment.html", dep=dep, events=lines)

    async def deployment_events(request: Request, session: Session) -> Response:
        """Server-sent events: each new event of the deployment, until it finishes."""
        dep_id = int(request.path_params["dep_id"])
        after = int(request.query_params.get("after", "0"))
        return StreamingResponse(
            _follow(api, session, dep_id, after), media_type="text/event-stream"
        )

    async def failed(request: Request, exc: Exception) -> Response:
        """A bug shows a page that says where to look, never a traceback."""
        body = templates.get_template("failed.html").render()
        return Response(body, status_code=500, media_type="text/html")

    web = Starlette(
        exception_handlers={500: failed},
        routes=[
            Route("/", logged_in(apps)),
            Route("/login", login, methods=["GET", "POST"]),
            Route("/logout", logged_in(logout), methods=["POST"]),
            Route("/access", logged_in(access), methods=["GET", "POST"]),
            Route("/apps/{app}/promote", logged_in(promotion), methods=["GET", "POST"]),
            Route("/apps/{app}/{env}", logged_in(env_page)),
            Route("/apps/{app}/{env}/logs", logged_in(logs)),
            Route("/apps/{app}/{env}/metrics", logged_in(metrics)),
            Route("/apps/{app}/{env}/logs/stream", logged_in(logs_stream)),
            Route("/apps/{app}/{env}/{action}", logged_in(env_action), methods=["POST"]),
            Route("/deployments/{dep_id:int}", logged_in(deployment)),
            Route("/deployments/{dep_id:int}/events", logged_in(deployment_events)),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
    )
    web.state.sessions = sessions  # the login throttle, for tests
    return web


async def _follow(api: Api, session: Session, dep_id: int, after: int) -> AsyncIterator[bytes]:
    while True:
        _, events = await api.lines(
            session, f"/v1/deployments/{dep_id}/events", params={"after": after}
        )
        for event in events if isinstance(events, list) else []:
            after = event["seq"]
            yield f"id: {after}\ndata: {json.dumps(event)}\n\n".encode()
        _, dep = await api.call(session, "GET", f"/v1/deployments/{dep_id}")
        if not isinstance(dep, dict) or dep.get("finished", True):
            yield f"event: finished\ndata: {json.dumps(dep)}\n\n".encode()
            return
        await asyncio.sleep(0.5)


# action -> (method, API path, JSON body, what the page says when it worked)
Action = Callable[[str, dict[str, str]], tuple[str, str, Any, str]]
_ACTIONS: dict[str, Action] = {
    "rollback": lambda base, f: (
        "POST", f"{base}/rollback", {"version": _version(f.get("version"))},
        f"Rolling back to {f.get('version')}",
    ),
    "scale": lambda base, f: (
        "POST", f"{base}/scale", {"counts": _counts(f)}, "Scaling",
    ),
    "restart": lambda base, f: ("POST", f"{base}/restart", {}, "Restarting"),
    "backup": lambda base, f: ("POST", f"{base}/db/backups", None, "Backup taken and verified"),
    "config": lambda base, f: (
        "PATCH", f"{base}/config", {"set": {f.get("key", ""): f.get("value", "")},
                                   "secret": f.get("secret") == "on"},
        f"Setting {f.get('key', '')}",
    ),
}  # fmt: skip


def quote(text: str) -> str:
    """One path segment or query value, "/" included, encoded."""
    return _quote(text, safe="")


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def _log_filters(request: Request) -> dict[str, str]:
    return {key: request.query_params.get(key, "").strip() for key in ("service", "instance", "q")}


async def _log_lines(
    api: Api, session: Session, app: str, env: str, wanted: dict[str, str], since: float | None
) -> tuple[int, list[dict[str, Any]]]:
    """The environment's log lines (the last 200, or those after `since`), filtered, each with
    its level."""
    params: dict[str, Any] = {"limit": 200}
    if since:
        params["since"] = since + 1e-6
    if wanted["service"]:
        params["service"] = wanted["service"]
    if wanted["q"]:
        params["grep"] = re.escape(wanted["q"])
    path = f"/v1/apps/{quote(app)}/envs/{quote(env)}/logs"
    status, entries = await api.lines(session, path, params=params)
    if status != 200:
        return status, entries
    return status, [
        {**e, "level": level_of(str(e.get("line", "")))}
        for e in entries
        if e and (not wanted["instance"] or e.get("instance") == wanted["instance"])
    ]


def _version(text: str | None) -> int | None:
    digits = (text or "").lstrip("v")
    return int(digits) if digits.isdigit() else None


def _counts(form: dict[str, str]) -> dict[str, int]:
    return {
        key[len("count.") :]: int(value)
        for key, value in form.items()
        if key.startswith("count.") and value.strip().lstrip("-").isdigit()
    }


def _can(principal: Principal | None) -> Callable[[str, str | None], bool]:
    def can(permission: str, env: str | None = None) -> bool:
        if principal is None:
            return False
        try:
            authorize(principal, Permission[permission], env)
        except ApiError:
            return False
        return True

    return can


def _problem(answer: Any) -> str:
    if isinstance(answer, dict) and "error" in answer:
        fix = answer.get("fix")
        return f"{answer['error']}" + (f" — {fix}" if fix else "")
    return str(answer)


def _pipeline_order(item: tuple[str, Any]) -> tuple[int, str]:
    order = {"staging": 0, "production": 1}
    return order.get(item[0], 2), item[0]


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body())[:65536].decode(errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _with_cookie(response: Response, session: Session, status: int | None = None) -> Response:
    if status is not None:
        response.status_code = status
    response.set_cookie(COOKIE, session.id, httponly=True, samesite="strict", path="/")
    return response
