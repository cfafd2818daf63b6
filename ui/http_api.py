"""The HTTP layer of `/api/v1/…`: Starlette routes that hand each request to `analysis.api.Api`.

The endpoints are plain functions, so Starlette runs them in its worker threads and a slow image
never holds up the event loop that serves the app's sessions. `analysis.api` (pandas, DuckDB and the charts)
is loaded on the first request, or by the start-up warm-up (ui.warmup), not before the server answers.
"""

from __future__ import annotations

import json
import logging
import threading
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit.path_security import is_unsafe_path_pattern

from analysis.sitemap import API_PREFIX

METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]  # the others get a JSON 405, not a bare one
_LOG = logging.getLogger(__name__)


class ApiPathGuard:
    """Middleware: an `/api/v1/…` address Streamlit's own path check refuses gets the API's JSON 400.

    Streamlit's PathSecurityMiddleware answers a null character, a `..` segment or a leading `//` (`%00`,
    `..%2F`, `/%2Fapi/v1/…`) with a plain-text "Bad Request". It runs after the app's own middleware, so
    this one, placed first in app.py, refuses the same addresses under the API's prefix with a JSON error
    in the client's language; any other address passes through to Streamlit's check unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        rooted = "/" + path.lstrip("/")  # "/%2Fapi/v1/…" arrives as "//api/v1/…", which Streamlit refuses as a UNC path
        under_api = rooted == API_PREFIX or rooted.startswith(f"{API_PREFIX}/")
        if under_api and (path.startswith("//") or is_unsafe_path_pattern(path.lstrip("/"))):
            await _bad_path(scope)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _bad_path(scope: Scope) -> Response:
    from analysis.i18n import DEFAULT_LANG, LANGS, t

    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    accepted = dict(Headers(scope=scope)).get("accept-language", "").lower()
    lang = query["lang"] if query.get("lang") in LANGS else "en" if accepted.startswith("en") else DEFAULT_LANG
    error = {"status": 400, "code": "bad_path", "message": t("api.error.bad_path", lang), "parameter": "path"}
    return Response(
        json.dumps({"error": error}, ensure_ascii=False, indent=1),
        status_code=400,
        media_type="application/json; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def routes(api=None) -> list[Route]:
    """The API's routes; `api` (an `analysis.api.Api`) is made on the first request if not given."""
    made = [api]
    lock = threading.Lock()

    def the_api():
        with lock:
            if made[0] is None:
                from analysis.api import Api

                made[0] = Api()
            return made[0]

    def endpoint(request: Request) -> Response:
        try:
            # The decoded path as the server received it: request.url.path would escape a "?" or "#" again.
            path = request.scope["path"]
            answer = the_api().handle(request.method, path, request.query_params.multi_items(), request.headers)
        except Exception:  # a bug, not a bad request: logged here, and the client gets JSON without a traceback
            _LOG.exception("API request failed: %s %s", request.method, request.url)
            body = {"error": {"status": 500, "code": "internal", "message": "internal error; the server log has the details"}}
            return Response(json.dumps(body), status_code=500, media_type="application/json")
        return Response(answer.body, status_code=answer.status, headers=answer.headers)

    return [Route(API_PREFIX, endpoint, methods=METHODS), Route(f"{API_PREFIX}/{{rest:path}}", endpoint, methods=METHODS)]
