"""The HTTP layer of `/api/v1/…`: Starlette routes that hand each request to `analysis.api.Api`.

The endpoints are plain functions, so Starlette runs them in its worker threads and a slow image
never holds up the event loop that serves the app's sessions. `analysis.api` (pandas, DuckDB and the charts)
is loaded on the first request, or by the start-up warm-up (ui.warmup), not before the server answers.
"""

from __future__ import annotations

import json
import logging
import threading

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from analysis.sitemap import API_PREFIX

METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]  # the others get a JSON 405, not a bare one
_LOG = logging.getLogger(__name__)


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
