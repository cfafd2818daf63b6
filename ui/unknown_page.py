"""A mistyped page address opens the home page with a notice in the reader's language.

Streamlit 1.67 answers an address that is no page with its own English "Page not found" dialog, which no
setting translates. This middleware sends such an address (one path segment, no dot, not a page of
`analysis.sitemap.PAGES`) to the home page instead, keeping `lang`; the home page says which address
was not found. Every other request (pages, `_stcore`, static files, `/api/v1/…`) passes through untouched.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from analysis.sitemap import PAGES

LANG_KEY = "lang"  # as ui.frame, which cannot be imported before the runtime exists
MISSING_KEY = "missing"  # query parameter naming the address that was not found
PAGE_SEGMENT = re.compile(r"/([A-Za-z0-9_-]{1,64})/?")
# Streamlit's own one-segment routes: sign-in's return address (st.login's redirect_uri) is one of them.
STREAMLIT_ROUTES = frozenset({"oauth2callback"})


class UnknownPageRedirect:
    def __init__(self, app: ASGIApp, known: frozenset[str] | None = None) -> None:
        self.app = app
        pages = known if known is not None else frozenset(p.url_path for p in PAGES if p.url_path)
        self.known = pages | STREAMLIT_ROUTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            match = PAGE_SEGMENT.fullmatch(scope.get("path", ""))
            if match and match.group(1) not in self.known:
                query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
                params = {MISSING_KEY: match.group(1)}
                if query.get(LANG_KEY):
                    params[LANG_KEY] = query[LANG_KEY]
                await RedirectResponse(f"/?{urlencode(params)}", status_code=307)(scope, receive, send)
                return
        await self.app(scope, receive, send)
