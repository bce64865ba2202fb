"""The API explorers of a subgraph, served from files it ships: no CDN, so they work offline.

- GraphiQL on `GET /graphql` (`GraphiQLRouter`), opening on an example query of the subgraph
  with the Headers pane showing where `X-API-Key` goes;
- Swagger UI on `/docs` (`mount_explorers`); FastAPI's own /docs and /redoc load their files
  from a CDN, so the app is built with `docs_url=None, redoc_url=None`. There is no ReDoc.

The JavaScript and CSS are the npm packages pinned in `tools/explorer-assets/package-lock.json`,
copied into `static/vendor/` by `make vendor-explorer` and served under `/explorer-assets`.
The local gateway (gateway/gateway.mjs) serves the same files and `static/graphiql.html`.
Every explorer page carries a Content-Security-Policy that lets it load and fetch from its own
origin only, so a browser opening it sends no request off the machine.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter

STATIC_DIR = Path(__file__).parents[1] / "static"
ASSETS_PATH = "/explorer-assets"
# The Headers pane's default. "secret" is the development default of API_KEY (.env.example);
# production refuses to start with it, and the pane is where a user types the real key.
DEFAULT_HEADERS = '{\n  "X-API-Key": "secret"\n}'
FALLBACK_QUERY = "{\n  __typename\n}\n"
# /docs: FastAPI's Swagger UI page has an inline start-up script; everything else comes from
# this origin. (GraphiQL's policy is a <meta> element in static/graphiql.html.)
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@cache
def _template() -> str:
    return (STATIC_DIR / "graphiql.html").read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no `</script>`, no `<!--`)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def graphiql_html(
    *,
    title: str,
    example_query: str | None = None,
    headers: str = DEFAULT_HEADERS,
    assets: str = ASSETS_PATH,
) -> str:
    """The GraphiQL page: `static/graphiql.html` with the title, the assets' URL path, and the
    example query (led by a comment on how to run it) and default headers for new tabs."""
    query = (
        f"# {title}: Ctrl-Enter (or ▶) runs the query.\n"
        "# The API key goes in the Headers tab below.\n\n" + (example_query or FALLBACK_QUERY)
    )
    values = {
        "title": html.escape(title),
        "assets": html.escape(assets),
        "config": _script_json({"query": query, "headers": headers}),
    }
    return _PLACEHOLDER.sub(lambda match: values[match[1]], _template())


def _root_path(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


class GraphiQLRouter(GraphQLRouter):
    """Strawberry's GraphQLRouter whose GraphiQL page loads the vendored files."""

    def __init__(
        self, schema: Any, *, title: str, example_query: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("graphql_ide", "graphiql")
        super().__init__(schema, **kwargs)
        self.explorer_title = title
        self.example_query = example_query

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        page = graphiql_html(
            title=self.explorer_title,
            example_query=self.example_query,
            assets=_root_path(request) + ASSETS_PATH,
        )
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


def mount_explorers(app: FastAPI) -> None:
    """Serve the vendored files under /explorer-assets and Swagger UI on /docs (for an app
    built with `docs_url=None, redoc_url=None`)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="explorer-assets")
    openapi_url = app.openapi_url
    if openapi_url is None:  # no OpenAPI document, nothing to show
        return

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        vendor = f"{root}{ASSETS_PATH}/vendor/swagger-ui-dist"
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} · Swagger UI",
            swagger_js_url=f"{vendor}/swagger-ui-bundle.js",
            swagger_css_url=f"{vendor}/swagger-ui.css",
            swagger_favicon_url=f"{vendor}/favicon-32x32.png",
            # No badge image from validator.swagger.io.
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
        )
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page
