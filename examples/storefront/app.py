"""A storefront that reports its errors with the Sentry SDK and reads its feature flags through
OpenFeature, both served by launchdeck: every instance gets SENTRY_DSN (with SENTRY_RELEASE and
SENTRY_ENVIRONMENT) and LAUNCHDECK_FLAGS_URL/LAUNCHDECK_FLAGS_TOKEN, so neither needs settings.

    /divide?by=0            ZeroDivisionError, reported
    /price?sku=unknown      KeyError, reported
    /flag?name=F&user=U&app_version=V   the flag's value for that user, with reason and variant
"""

import json
import os
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import sentry_sdk
from launchdeck_openfeature import LaunchdeckProvider
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware

sentry_sdk.init()  # the DSN, release and environment come from launchdeck
api.set_provider(LaunchdeckProvider())
flags = api.get_client()
PRICES = {"tea": 4, "cake": 6}


def divide(query):
    return {"result": 100 / int(query.get("by", "1"))}


def price(query):
    return {"price": PRICES[query.get("sku", "tea")]}


def flag(query):
    attributes = {"app_version": query["app_version"]} if "app_version" in query else {}
    context = EvaluationContext(targeting_key=query.get("user"), attributes=attributes)
    details = flags.get_boolean_details(query.get("name", ""), False, context)
    return {"value": details.value, "reason": details.reason, "variant": details.variant}


ROUTES = {"/divide": divide, "/price": price, "/flag": flag}


def app(environ, start_response):
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    route = ROUTES.get(environ["PATH_INFO"])
    body = route(query) if route else {"ok": True, "release": os.environ.get("LAUNCHDECK_RELEASE")}
    data = json.dumps(body).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # the stdlib names it `format`
        pass


if __name__ == "__main__":
    # SentryWsgiMiddleware reports what a request raises (as Django's and Flask's integrations
    # do), with the request's URL, then lets the server answer 500
    server = make_server(
        "127.0.0.1", int(os.environ["PORT"]), SentryWsgiMiddleware(app),
        server_class=Server, handler_class=QuietHandler,
    )
    server.serve_forever()
