"""The API explorers work offline: GraphiQL on each subgraph's GET /graphql and on the
gateway's GET /, Swagger UI on each subgraph's /docs, all from vendored files.

- Without a browser: the vendored files are the versions tools/explorer-assets pins, byte for
  byte; the pages name no other host; the gateway serves the files and nothing else.
- In headless Chromium (Debian's `chromium`, driven by Playwright's Python package; no
  browser download), against real processes (tests/stack.py) with host names resolving to
  nothing but this machine: every request a page makes goes to 127.0.0.1, and none is refused
  (a status other than 2xx/304, or a GraphQL answer with an UNAUTHENTICATED error). GraphiQL
  opens ready: its first schema request carries the key its Headers tab shows, its Docs pane
  lists the Query type's fields and the query editor completes field names; it runs its
  example query with the key typed into the Headers tab. /docs lists the operations. The stack
  runs with the development key, the one the Headers tab opens with, as `make up` does.

Screenshots go to a temporary folder (printed at the end; EXPLORER_ARTIFACTS_DIR chooses
it), and with UPDATE_SCREENSHOTS=1 the README's ones to docs/screenshots/ as well. Without
Chromium (or Playwright) the browser tests are skipped, unless REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from stack import ROOT, GraphQLClient, Stack, running_stack

TOOLS_DIR = ROOT / "tools" / "explorer-assets"
STATIC_DIR = ROOT / "libs" / "subgraph_kit" / "subgraph_kit" / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
SCREENSHOTS_DIR = ROOT / "docs" / "screenshots"
README_SCREENSHOTS = {"graphiql-supergraph.png", "docs-products.png"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_MS = 15_000
# Chromium's own background traffic off; host names other than the local ones resolve to
# nothing, as on a machine without internet access. Playwright gives every launch a fresh
# temporary profile (user-data-dir).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]
URL_IN_PAGE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']*)["']""")
# What CodeMirror 5 holds, read through the editor instance that GraphiQL attaches to it.
EDITOR_VALUE = "element => element.CodeMirror.getValue()"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT_EDITOR = ".result-window .CodeMirror"
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
DOCS = ".graphiql-doc-explorer"
RESULT_HOLDS = """([selector, text]) => {
  const editor = document.querySelector(selector);
  return Boolean(editor && editor.CodeMirror.getValue().includes(text));
}"""

SEED = [  # sku, name, amount, stock received, reorder point
    ("LAMP-1", "Desk lamp", "19.99", 12, 0),
    ("CHAIR-2", "Office chair", "149.00", 3, 5),
    ("DESK-3", "Standing desk", "399.00", 0, 0),
]
CREATE = """
mutation Create($input: CreateProductInput!) {
  createProduct(input: $input) { product { id sku } userErrors { code } }
}"""
ADJUST = """
mutation Adjust($input: AdjustStockInput!) {
  adjustStock(input: $input) { stockLevel { onHand } userErrors { code } }
}"""
REORDER = """
mutation Reorder($id: ID!, $point: Int!) {
  setReorderPoint(productId: $id, reorderPoint: $point) { userErrors { code } }
}"""


# -- without a browser ------------------------------------------------------------------------


# The key GraphiQL's Headers tab opens with: API_KEY's development default, which `make up`
# runs with (test_subgraph_pages_load_only_files_of_their_own checks the pages show it).
DEVELOPMENT_KEY = "secret"
QUERY_FIELDS = {  # some of each graph's Query fields, which the Docs pane must list
    "products": {"product", "products", "_service"},
    "inventory": {"stockLevel", "stockLevels", "_service"},
    "supergraph": {"product", "products", "stockLevel", "stockLevels"},
}


def test_vendored_files_are_the_pinned_packages() -> None:
    """vendor/ holds exactly what `make vendor-explorer` wrote from package-lock.json."""
    pins = json.loads((TOOLS_DIR / "package.json").read_text())["dependencies"]
    lock = json.loads((TOOLS_DIR / "package-lock.json").read_text())["packages"]
    manifest = json.loads((VENDOR_DIR / "manifest.json").read_text())["packages"]
    assert set(manifest) == set(pins) == {"graphiql", "react", "react-dom", "swagger-ui-dist"}
    listed = {VENDOR_DIR / "manifest.json"}
    for name, entry in manifest.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", pins[name]), f"{name} is not pinned exactly"
        assert entry["version"] == pins[name] == lock[f"node_modules/{name}"]["version"]
        for file, facts in entry["files"].items():
            path = VENDOR_DIR / name / file
            data = path.read_bytes()
            assert (len(data), hashlib.sha256(data).hexdigest()) == (
                facts["bytes"],
                facts["sha256"],
            ), f"{path} differs from what make vendor-explorer wrote"
            listed.add(path)
    on_disk = {path for path in VENDOR_DIR.rglob("*") if path.is_file()}
    assert on_disk == listed, "vendor/ holds files the manifest does not list"


def test_subgraph_pages_load_only_files_of_their_own() -> None:
    """GraphiQL and /docs of an app built like a subgraph name no other host, and every file
    they load is served; under a proxy prefix (root_path) the URLs follow it."""
    import strawberry
    from fastapi import FastAPI
    from subgraph_kit.web.explorer import GraphiQLRouter, mount_explorers

    @strawberry.type
    class Query:
        hello: str = "world"

    title = "demo <b>"
    example = '{ hello }  # "</script><!-- & -->"\n'
    app = FastAPI(title=title, docs_url=None, redoc_url=None)
    router = GraphiQLRouter(strawberry.Schema(Query), title=title, example_query=example)
    app.include_router(router, prefix="/graphql")
    mount_explorers(app)

    async def fetch(root_path: str) -> dict[str, httpx.Response]:
        transport = httpx.ASGITransport(app=app, root_path=root_path)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            html = {"accept": "text/html"}
            # As uvicorn does, the path includes the root path.
            pages = {
                "graphiql": await client.get(f"{root_path}/graphql", headers=html),
                "docs": await client.get(f"{root_path}/docs"),
                "redoc": await client.get(f"{root_path}/redoc"),
            }
            for name in ("graphiql", "docs"):
                for url in URL_IN_PAGE.findall(pages[name].text):
                    if not url.startswith("data:"):
                        pages[url] = await client.get(url)
            return pages

    for root_path in ("", "/products"):
        pages = asyncio.run(fetch(root_path))
        graphiql, docs = pages.pop("graphiql"), pages.pop("docs")
        assert graphiql.status_code == docs.status_code == 200
        assert pages.pop("redoc").status_code == 404
        for page in (graphiql.text, docs.text):
            assert "http://" not in page
            assert "https://" not in page
        assert "default-src 'none'" in graphiql.text  # the <meta> Content-Security-Policy
        assert "connect-src 'self'" in docs.headers["content-security-policy"]
        assert '"validatorUrl": null' in docs.text
        assert "<title>demo &lt;b&gt; · GraphiQL</title>" in graphiql.text
        assert graphiql.text.count("</script>") == graphiql.text.count("<script")
        config = re.search(r'id="graphiql-config">(.*?)</script>', graphiql.text, re.S)
        assert config is not None
        settings = json.loads(config[1])
        assert settings["query"].endswith(example)
        assert json.loads(settings["headers"]) == {"X-API-Key": DEVELOPMENT_KEY}
        assert len(pages) == 9  # 6 for GraphiQL, 3 for Swagger UI
        for url, response in pages.items():
            assert url.startswith(f"{root_path}/explorer-assets/"), url
            assert response.status_code == 200, url


@pytest.fixture(scope="module")
def api_key() -> str:
    """This module's stack accepts the key the explorers open with (not a fresh one), so a
    page that loses that key on the way, or sends none, is refused and caught."""
    return DEVELOPMENT_KEY


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, api_key: str) -> Iterator[Stack]:
    """products, inventory and the gateway, with three products, two of them in stock."""
    with running_stack(tmp_path_factory.mktemp("explorers"), api_key) as started:
        with (
            GraphQLClient(started["products"].graphql_url, api_key) as products,
            GraphQLClient(started["inventory"].graphql_url, api_key) as inventory,
        ):
            for sku, name, amount, received, reorder_point in SEED:
                price = {"amount": amount, "currencyCode": "EUR"}
                created = products.execute(
                    CREATE, input={"sku": sku, "name": name, "price": price}
                )["createProduct"]
                assert created["userErrors"] == [], created
                product_id = created["product"]["id"]
                if received:
                    stock = {"productId": product_id, "delta": received, "reason": "RECEIVED"}
                    adjusted = inventory.execute(ADJUST, input=stock)["adjustStock"]
                    assert adjusted["userErrors"] == [], adjusted
                if reorder_point:
                    reorder = inventory.execute(REORDER, id=product_id, point=reorder_point)
                    assert reorder["setReorderPoint"]["userErrors"] == [], reorder
        yield started


def test_gateway_serves_the_explorer_files_and_nothing_else(stack: Stack) -> None:
    gateway = stack["gateway"].url
    with httpx.Client(base_url=gateway, timeout=10, trust_env=False) as client:
        page = client.get("/", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert "<title>supergraph · GraphiQL</title>" in page.text
        assert "http://" not in page.text
        assert "https://" not in page.text
        for url in URL_IN_PAGE.findall(page.text):
            if not url.startswith("data:"):
                assert client.get(url).status_code == 200, url

        script = client.get("/explorer-assets/vendor/graphiql/graphiql.min.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert script.content == (VENDOR_DIR / "graphiql" / "graphiql.min.js").read_bytes()
        etag = script.headers["etag"]
        again = client.get(script.url, headers={"if-none-match": etag})
        assert again.status_code == 304

        for outside in (
            "/explorer-assets/..%2F..%2F..%2F..%2Fgateway%2Fpackage.json",
            "/explorer-assets/graphiql.html",  # the template: not a file type it serves
            "/explorer-assets/vendor/missing.js",
        ):
            assert client.get(outside).status_code == 404, outside
        # The URL parser resolves this to /explorer.py, a GraphQL GET without a query.
        assert client.get("/explorer-assets/%2E%2E/explorer.py").status_code == 400
        query = {"query": "{ __typename }"}
        assert client.post("/", json=query).json()["errors"][0]["extensions"] == {
            "code": "UNAUTHENTICATED"
        }
        keyed = client.post("/", json=query, headers={"X-API-Key": stack.api_key})
        assert keyed.json() == {"data": {"__typename": "Query"}}


# -- in Chromium ------------------------------------------------------------------------------


def chromium_path() -> str | None:
    candidates = [
        os.environ.get("CHROMIUM_PATH"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def browser_missing(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(f"{reason}; REQUIRE_BROWSER=1 makes this a failure")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        browser_missing(
            "no Chromium: looked for $CHROMIUM_PATH, /usr/bin/chromium, chromium and "
            "chromium-browser on PATH (install Debian's `chromium` package)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing("the playwright package is missing: install requirements-dev.txt")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def artifacts(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[Path]:
    chosen = os.environ.get("EXPLORER_ARTIFACTS_DIR")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("explorer-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and any(folder.iterdir()):
        with capture.global_and_fixture_disabled():  # shown even while output is captured
            reporter.write_line(f"explorer screenshots: {folder}")


@dataclass
class PageLog:
    """Everything one page asked for, what it got back, and what went wrong while it ran."""

    requests: list[str] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def graphql(self) -> list[dict[str, Any]]:
        """The GraphQL requests (POSTs) the page made and their answers, in order."""
        exchanges = []
        for response in self.responses:
            request = response.request
            if request.method != "POST":
                continue
            try:
                sent = json.loads(request.post_data or "")
            except ValueError:
                sent = {}
            try:
                answer = response.json()
            except Exception:  # not JSON, or no body
                answer = None
            errors = answer.get("errors") if isinstance(answer, dict) else None
            exchanges.append(
                {
                    "url": response.url,
                    "operation": sent.get("operationName") if isinstance(sent, dict) else None,
                    "key": request.headers.get("x-api-key"),
                    "status": response.status,
                    "codes": [
                        (error.get("extensions") or {}).get("code")
                        for error in errors or []
                        if isinstance(error, dict)
                    ],
                }
            )
        return exchanges

    def refused(self) -> list[str]:
        """Every answer that is not a success: a status other than 2xx or 304, or a GraphQL
        result with an UNAUTHENTICATED error."""
        refused = [
            f"{r.status} for {r.request.method} {r.url} "
            f"(X-API-Key: {r.request.headers.get('x-api-key')!r})"
            for r in self.responses
            if not (200 <= r.status < 300 or r.status == 304)
        ]
        refused += [
            f"UNAUTHENTICATED for {e['operation'] or 'a request'} to {e['url']} "
            f"(X-API-Key: {e['key']!r})"
            for e in self.graphql()
            if "UNAUTHENTICATED" in e["codes"]
        ]
        return refused

    def schema_requests(self) -> list[dict[str, Any]]:
        return [e for e in self.graphql() if e["operation"] == "IntrospectionQuery"]

    def off_machine(self) -> list[str]:
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob")
            and urlsplit(url).hostname not in LOCAL_HOSTS
        ]

    def check(self) -> None:
        assert self.requests, "the page made no request"
        assert self.off_machine() == [], "requests left the machine"
        assert self.problems == []
        assert self.refused() == [], "requests were refused"


@contextlib.contextmanager
def open_page(browser: Any, url: str) -> Iterator[tuple[Any, PageLog]]:
    """A page in a fresh context (empty storage), recording every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    log = PageLog()
    context.on("request", lambda request: log.requests.append(request.url))
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            log.problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: log.problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: log.problems.append(f"failed: {request.url}"))
    page.on("response", lambda response: log.responses.append(response))  # see refused()
    try:
        page.goto(url)
        yield page, log
    finally:
        context.close()


def screenshot(page: Any, artifacts: Path, name: str) -> None:
    path = artifacts / name
    page.screenshot(path=str(path))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and name in README_SCREENSHOTS:
        SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS_DIR / name)


def wait_for_result(page: Any, text: str) -> None:
    page.wait_for_function(RESULT_HOLDS, arg=[RESULT_EDITOR, text])


def playwright_timeout() -> type[Exception]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # present: see browser()

    return PlaywrightTimeout


def shown_headers(page: Any) -> dict[str, Any]:
    """What GraphiQL's Headers tab holds (the bottom pane opens on it)."""
    text = page.locator(HEADERS_EDITOR).evaluate(EDITOR_VALUE)
    return json.loads(text)


def docs_query_fields(page: Any) -> list[str]:
    """Open the Docs pane, go to the Query type, return the fields it lists; close the pane.
    A Docs pane without a schema ("Error fetching schema", or nothing) fails here."""
    page.get_by_role("button", name="Show Documentation Explorer").click()
    docs = page.locator(DOCS)
    query_type = docs.get_by_role("link", name="Query", exact=True)
    error = docs.locator(".graphiql-doc-explorer-error")
    with contextlib.suppress(playwright_timeout()):
        query_type.or_(error).first.wait_for()
    if not query_type.count():
        shown = " ".join(docs.inner_text().split()) if docs.count() else "no Docs pane"
        pytest.fail(f"the Docs pane lists no Query type; it shows: {shown!r}", pytrace=False)
    query_type.click()
    fields = docs.locator(".graphiql-doc-explorer-field-name")
    fields.first.wait_for()
    names = fields.all_inner_texts()
    page.get_by_role("button", name="Hide Documentation Explorer").click()
    return names


def completions(page: Any, text: str) -> list[str]:
    """Replace the query editor's text with `text`; return the names autocomplete offers."""
    page.locator(QUERY_EDITOR).click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)
    hints = page.locator(".CodeMirror-hints .CodeMirror-hint")
    try:
        hints.first.wait_for()
    except playwright_timeout():
        pytest.fail(f"autocomplete offers nothing for {text!r}", pytrace=False)
    offered = hints.all_inner_texts()
    page.keyboard.press("Escape")
    return offered


def assert_opens_ready(page: Any, log: PageLog, graph: str, api_key: str) -> None:
    """GraphiQL opened with the key in its Headers tab, fetched the schema with that key and
    no refusal, and its Docs pane lists the Query type's fields."""
    assert shown_headers(page) == {"X-API-Key": api_key}
    fields = docs_query_fields(page)
    assert QUERY_FIELDS[graph] <= set(fields), fields
    schema_requests = log.schema_requests()
    assert schema_requests, "GraphiQL asked for no schema"
    assert schema_requests[0]["key"] == api_key, (
        "the first schema request did not carry the key the Headers tab shows",
        schema_requests[0],
    )
    assert log.refused() == [], "requests were refused"


def run_with_key(page: Any, api_key: str, expect: str = '"data"') -> dict[str, Any]:
    """Type the key into GraphiQL's Headers pane, run the query, return the result's JSON
    (once it holds `expect`)."""
    page.get_by_role("button", name="Headers", exact=True).click()
    headers = page.locator(HEADERS_EDITOR)
    assert json.loads(headers.evaluate(EDITOR_VALUE)) == {"X-API-Key": DEVELOPMENT_KEY}
    headers.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(json.dumps({"X-API-Key": api_key}))
    assert json.loads(headers.evaluate(EDITOR_VALUE)) == {"X-API-Key": api_key}
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    wait_for_result(page, expect)
    return json.loads(page.locator(RESULT_EDITOR).evaluate(EDITOR_VALUE))


def test_a_page_that_needs_a_cdn_is_caught(browser: Any) -> None:
    """The check can fail: a page loading GraphiQL from a CDN is seen, and gets nothing."""
    page_html = '<script src="https://unpkg.com/graphiql@4.1.2/graphiql.min.js"></script>'
    with open_page(browser, f"data:text/html,{page_html}") as (page, log):
        page.wait_for_load_state("load")
        assert log.off_machine() == ["https://unpkg.com/graphiql@4.1.2/graphiql.min.js"]
        assert log.problems == ["failed: https://unpkg.com/graphiql@4.1.2/graphiql.min.js"]
        with pytest.raises(AssertionError, match="left the machine"):
            log.check()


def test_a_refused_request_is_caught(browser: Any, stack: Stack) -> None:
    """The check can fail: a query sent with a wrong key in the Headers tab carries that key,
    is refused, and the log names it."""
    with open_page(browser, stack["products"].graphql_url) as (page, log):
        result = run_with_key(page, "not-the-key", expect="UNAUTHENTICATED")
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        sent = [e for e in log.graphql() if e["key"] == "not-the-key"]
        assert [(e["status"], e["codes"]) for e in sent] == [(401, ["UNAUTHENTICATED"])]
        # Named twice: for its status and for its GraphQL error.
        assert len([r for r in log.refused() if "'not-the-key'" in r]) == 2, log.refused()
        with pytest.raises(AssertionError, match="refused"):
            log.check()


@pytest.mark.parametrize("name", ["products", "inventory"])
def test_subgraph_graphiql_opens_ready_and_runs_its_example_query(
    browser: Any, stack: Stack, api_key: str, artifacts: Path, name: str
) -> None:
    with open_page(browser, stack[name].graphql_url) as (page, log):
        assert page.title() == f"{name} · GraphiQL"
        assert_opens_ready(page, log, name, api_key)
        result = run_with_key(page, api_key)
        screenshot(page, artifacts, f"graphiql-{name}.png")
        field = "products" if name == "products" else "stockLevels"
        assert field in completions(page, "{ " + field[:4])
        log.check()
    assert "errors" not in result
    if name == "products":
        skus = [node["sku"] for node in result["data"]["products"]["nodes"]]
        assert sorted(skus) == sorted(sku for sku, *_ in SEED)
    else:
        levels = result["data"]["stockLevels"]["nodes"]
        assert sorted((level["onHand"], level["lowStock"]) for level in levels) == [
            (3, True),
            (12, False),
        ]


def test_supergraph_graphiql_opens_ready_and_runs_a_federated_query(
    browser: Any, stack: Stack, api_key: str, artifacts: Path
) -> None:
    with open_page(browser, stack.gateway_url) as (page, log):
        assert page.title() == "supergraph · GraphiQL"
        assert_opens_ready(page, log, "supergraph", api_key)
        result = run_with_key(page, api_key)
        screenshot(page, artifacts, "graphiql-supergraph.png")
        assert "stockLevels" in completions(page, "{ stock")
        log.check()
    assert "errors" not in result
    nodes = {node["sku"]: node for node in result["data"]["products"]["nodes"]}
    assert set(nodes) == {sku for sku, *_ in SEED}
    assert nodes["LAMP-1"]["price"] == {"amount": "19.99", "currencyCode": "EUR"}
    assert nodes["LAMP-1"]["stock"] == {"onHand": 12, "available": 12, "lowStock": False}
    assert nodes["CHAIR-2"]["stock"]["lowStock"] is True
    assert [nodes[sku]["inStock"] for sku in ("LAMP-1", "CHAIR-2", "DESK-3")] == [
        True,
        True,
        False,
    ]


@pytest.mark.parametrize("name", ["products", "inventory"])
def test_docs_lists_the_operations(browser: Any, stack: Stack, artifacts: Path, name: str) -> None:
    with open_page(browser, stack[name].url + "/docs") as (page, log):
        page.locator(".opblock").first.wait_for()
        operations = page.evaluate(
            """() => [...document.querySelectorAll('.opblock')].map(block => [
                block.querySelector('.opblock-summary-method').textContent,
                block.querySelector('.opblock-summary-path').getAttribute('data-path'),
            ])"""
        )
        assert page.locator(".title").first.inner_text().startswith(name)
        screenshot(page, artifacts, f"docs-{name}.png")
        log.check()
    assert sorted(map(tuple, operations)) == [
        ("GET", "/asyncapi.json"),
        ("GET", "/graphql"),
        ("GET", "/health"),
        ("GET", "/health/ready"),
        ("POST", "/graphql"),
    ]
