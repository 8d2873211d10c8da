"""`/docs` and `/redoc` as a browser shows them: the gateway served by uvicorn
as `renshi up` serves it, each page rendered by headless Chromium, and the
operations it lists counted against the document. Nothing is fetched from
anywhere but the gateway (the page's policy stops ReDoc's CDN logo)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from renshi.cli import SERVER_OPTIONS
from tests.gateway.chromium import Browser, browser
from tests.gateway.harness import Harness, build
from tests.gateway.live import serve

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Generous: on a loaded two-core machine ReDoc takes tens of seconds to lay
# out every operation. The tests wait on what the page shows, within this.
RENDER_BOUND_S = 240.0
CALL_BOUND_S = 60.0

# Resolves with the number of elements matching `selector` once there are at
# least `count` of them (checked now and at every change of the page), or with
# however many there are when the bound runs out, for the assertion to show.
_WAIT_FOR = """
new Promise((resolve) => {
  const selector = %(selector)s, count = %(count)d;
  const found = () => document.querySelectorAll(selector).length;
  if (found() >= count) return resolve(found());
  const watch = new MutationObserver(() => {
    if (found() >= count) { watch.disconnect(); resolve(found()); }
  });
  watch.observe(document, {childList: true, subtree: true, attributes: true});
  setTimeout(() => { watch.disconnect(); resolve(found()); }, %(bound_ms)d);
})
"""


def _wait_for(selector: str, count: int) -> str:
    return _WAIT_FOR % {
        "selector": json.dumps(selector),
        "count": count,
        "bound_ms": int(RENDER_BOUND_S * 1000),
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Harness]]:
    client, harness = build(tmp_path)
    options = {k: v for k, v in SERVER_OPTIONS.items() if k != "log_config"}
    with serve(client.app, **options) as base:
        yield base, harness


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with browser(timeout=CALL_BOUND_S) as chrome:
        yield chrome


def _operations(base: str) -> list[dict[str, Any]]:
    document = httpx.get(f"{base}/openapi.json", timeout=CALL_BOUND_S).json()
    return [
        {"method": method.upper(), "path": path, "id": operation["operationId"]}
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _only_the_gateway(sent: set[str], base: str) -> None:
    gateway = urlsplit(base).netloc
    outside = {u for u in sent if not u.startswith(("data:", "blob:"))}
    outside = {u for u in outside if urlsplit(u).netloc != gateway}
    assert not outside, outside


def test_swagger_ui_lists_every_operation_of_the_document(served, chromium):
    base, _ = served
    operations = _operations(base)
    assert len(operations) > 100
    page = chromium.open(f"{base}/docs", CALL_BOUND_S)
    shown = page.evaluate(_wait_for(".opblock", len(operations)), RENDER_BOUND_S + CALL_BOUND_S)
    assert shown == len(operations)
    listed = page.evaluate(
        """[...document.querySelectorAll('.opblock')].map((block) => [
             block.querySelector('.opblock-summary-method').textContent.trim(),
             block.querySelector('.opblock-summary-path').getAttribute('data-path')])""",
        CALL_BOUND_S,
    )
    assert sorted(map(tuple, listed)) == sorted((o["method"], o["path"]) for o in operations)
    # The Authorize button is there, for the declared token schemes.
    assert page.evaluate("document.querySelectorAll('.btn.authorize').length", CALL_BOUND_S) >= 1
    sent = page.sent(CALL_BOUND_S)
    assert f"{base}/docs/assets/swagger-ui-bundle.js" in sent
    _only_the_gateway(sent, base)


def test_redoc_lists_every_operation_of_the_document(served, chromium):
    base, _ = served
    operations = _operations(base)
    page = chromium.open(f"{base}/redoc", CALL_BOUND_S)
    # One entry per operation in the side menu, each named by operation id.
    menu = 'li[data-item-id*="operation/"]'
    shown = page.evaluate(_wait_for(menu, len(operations)), RENDER_BOUND_S + CALL_BOUND_S)
    assert shown == len(operations)
    items = page.evaluate(
        f"[...document.querySelectorAll({json.dumps(menu)})]"
        ".map((item) => item.getAttribute('data-item-id').split('operation/').pop())",
        CALL_BOUND_S,
    )
    assert sorted(items) == sorted(o["id"] for o in operations)
    sent = page.sent(CALL_BOUND_S)
    assert f"{base}/docs/assets/redoc.standalone.js" in sent
    _only_the_gateway(sent, base)


def test_a_forwarded_answer_has_one_date_and_no_server(served):
    base, harness = served
    response = httpx.get(
        f"{base}/api/training/audit/personal-data-reads",
        headers={"Authorization": f"Bearer {harness.token()}"},
        timeout=CALL_BOUND_S,
    )
    assert response.status_code == 200, response.text
    assert harness.recorder.requests, "the request was not forwarded"
    names = [k.lower() for k, _v in response.headers.raw]
    assert names.count(b"date") == 1
    assert b"server" not in names
    # The gateway's own date, not the upstream's.
    assert response.headers["date"] != "Mon, 02 Jan 2006 15:04:05 GMT"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_pages_declare_what_they_may_load(served, page):
    base, _ = served
    policy = httpx.get(base + page, timeout=CALL_BOUND_S).headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "img-src 'self' data: blob:" in policy
