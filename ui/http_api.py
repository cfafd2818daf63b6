"""The HTTP layer of `/api/v1/…`: Starlette routes that hand each request to `analysis.api.Api`.

Each request runs in a small bounded pool (`analysis.workpool`), never on the event loop that serves the
app's sessions: pictures (PNG, SVG) in IMAGE_WORKERS threads with IMAGE_QUEUE waiting, everything else in
DATA_WORKERS threads with DATA_QUEUE waiting. Beyond that the request is answered at once with 503, a JSON
message in the client's language and `Retry-After`, so an API burst costs the pages a bounded share of the
server. `analysis.api` (pandas, DuckDB and the charts) is loaded on the first request, or by the start-up
warm-up (ui.warmup), not before the server answers.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import os
import threading
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit.path_security import is_unsafe_path_pattern

from analysis.i18n import DEFAULT_LANG, LANGS, t
from analysis.sitemap import API_PREFIX
from analysis.workpool import BoundedPool

METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]  # the others get a JSON 405, not a bare one
IMAGE_SUFFIXES = (".png", ".svg")
IMAGE_WORKERS = 2  # as the renderer's browser tabs (analysis.images.RENDER_TABS): more would only wait there
IMAGE_QUEUE = 6  # 50 pictures at scale 3 at once took 968 MB and held a page load to 24.8 s (issue 28)
DATA_WORKERS = 2  # the machine's cores; CSV/JSON handlers are CPU-bound Python and share the interpreter
DATA_QUEUE = 16
RETRY_AFTER_SECONDS = 5
ALLOW_ORIGIN_ENV = "ATLAS_API_ALLOW_ORIGIN"  # analysis.api's setting, named here so a 503 needs no pandas
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


def routes(api=None, *, image_pool: BoundedPool | None = None, data_pool: BoundedPool | None = None) -> list[Route]:
    """The API's routes; `api` (an `analysis.api.Api`) is made on the first request if not given."""
    made = [api]
    lock = threading.Lock()
    images = image_pool or BoundedPool(IMAGE_WORKERS, IMAGE_QUEUE, "api-images")
    data = data_pool or BoundedPool(DATA_WORKERS, DATA_QUEUE, "api-data")

    def the_api():
        with lock:
            if made[0] is None:
                from analysis.api import Api

                made[0] = Api()
            return made[0]

    def answer(request: Request) -> Response:
        try:
            # The decoded path as the server received it: request.url.path would escape a "?" or "#" again.
            path = request.scope["path"]
            answer = the_api().handle(request.method, path, request.query_params.multi_items(), request.headers)
        except Exception:  # a bug, not a bad request: logged here, and the client gets JSON without a traceback
            _LOG.exception("API request failed: %s %s", request.method, request.url)
            body = {"error": {"status": 500, "code": "internal", "message": "internal error; the server log has the details"}}
            return Response(json.dumps(body), status_code=500, media_type="application/json")
        return Response(answer.body, status_code=answer.status, headers=answer.headers)

    async def endpoint(request: Request) -> Response:
        pool = images if request.url.path.endswith(IMAGE_SUFFIXES) else data
        job = pool.submit(answer, request)
        if job is None:
            # A browser page on the allowed origin must be able to read the 503 too (as analysis.api does).
            origin = made[0].allow_origin if made[0] is not None else os.environ.get(ALLOW_ORIGIN_ENV) or None
            return busy(request, origin)
        return await asyncio.wrap_future(job)

    return [Route(API_PREFIX, endpoint, methods=METHODS), Route(f"{API_PREFIX}/{{rest:path}}", endpoint, methods=METHODS)]


def busy(request: Request, allow_origin: str | None = None) -> Response:
    """503 with Retry-After and a JSON message in the client's language, as the API's other refusals."""
    given = request.query_params.get("lang")
    accepted = request.headers.get("accept-language", "").lower()
    lang = given if given in LANGS else "en" if accepted.startswith("en") else DEFAULT_LANG  # as analysis.api
    message = t("api.error.busy", lang, seconds=RETRY_AFTER_SECONDS)
    body = {"error": {"status": 503, "code": "busy", "message": message}}
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if allow_origin:
        headers["Access-Control-Allow-Origin"] = allow_origin
        headers["Access-Control-Expose-Headers"] = "Retry-After"
        if allow_origin != "*":
            headers["Vary"] = "Origin"
    return Response(
        json.dumps(body, ensure_ascii=False), status_code=503, headers=headers, media_type="application/json; charset=utf-8"
    )


# ---------------------------------------------------------------- plotly.js for the chart element

PLOTLY_JS_PATH = "/vendor/plotly-{version}.min.js"  # the version in the address: a new plotly is a new URL
PLOTLY_JS_CACHE = "public, max-age=31536000, immutable"


def plotly_js_version() -> str:
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


def plotly_js_url() -> str:
    """Where the chart element (ui/plot_element.py) loads plotly.js: this server, never a CDN."""
    return PLOTLY_JS_PATH.format(version=plotly_js_version())


@cache
def plotly_js_bytes() -> tuple[bytes, bytes]:
    """The installed plotly package's plotly.min.js, as it is and gzipped (once per process: about 0.3 s)."""
    import plotly

    raw = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0)


def plotly_js_route() -> Route:
    """GET/HEAD of `plotly_js_url()`: gzipped when the client accepts it, cached by the browser for a year
    (the address changes with the version). A synchronous endpoint: Starlette runs it in its thread pool,
    so the first request's compression does not hold the sessions' event loop."""

    def endpoint(request: Request) -> Response:
        raw, packed = plotly_js_bytes()
        zipped = "gzip" in request.headers.get("accept-encoding", "").lower()
        headers = {"Cache-Control": PLOTLY_JS_CACHE, "Vary": "Accept-Encoding", "X-Content-Type-Options": "nosniff"}
        if zipped:
            headers["Content-Encoding"] = "gzip"
        body = packed if zipped else raw
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    return Route(plotly_js_url(), endpoint, methods=["GET", "HEAD"])
