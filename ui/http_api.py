"""The HTTP layer of `/api/v1/…`: Starlette routes that hand each request to `analysis.api.Api`.

The endpoints are plain functions, so Starlette runs them in its worker threads and a slow image
never holds up the event loop that serves the app's sessions.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from analysis.api import API_PREFIX, Api

METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]  # the others get a JSON 405, not a bare one


def routes(api: Api | None = None) -> list[Route]:
    api = api or Api()

    def endpoint(request: Request) -> Response:
        answer = api.handle(request.method, request.url.path, request.query_params.multi_items(), request.headers)
        return Response(answer.body, status_code=answer.status, headers=answer.headers)

    return [Route(API_PREFIX, endpoint, methods=METHODS), Route(f"{API_PREFIX}/{{rest:path}}", endpoint, methods=METHODS)]
