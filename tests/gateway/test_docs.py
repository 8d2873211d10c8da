"""The documentation pages work on a closed network: Swagger UI and ReDoc, and
every script, style sheet and icon they load, are served by the gateway itself."""

from __future__ import annotations

import base64
import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.gateway.harness import account

BASE = "http://testserver"
# src="…", href="…", and the URLs the inline scripts load (url: '…').
_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|\burl\s*:\s*["']([^"']+)["']""")
_SPEC_URL = re.compile(r"""spec-url\s*=\s*["']([^"']+)["']""")


def _references(html: str) -> set[str]:
    found = {a or b for a, b in _REFERENCE.findall(html)}
    found |= set(_SPEC_URL.findall(html))
    return found


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_page_and_every_asset_it_references_are_served_locally(gw, page):
    response = gw.client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    references = _references(response.text)
    assert any(r.endswith(".js") for r in references), references
    for reference in references:
        parts = urlsplit(urljoin(BASE + page, reference))
        assert (parts.scheme, parts.netloc) == ("http", "testserver"), reference
        asset = gw.client.get(parts.path)
        assert asset.status_code == 200, reference
        assert asset.content, reference
    assert "cdn." not in response.text
    assert "fonts.googleapis" not in response.text


def test_swagger_ui_loads_its_bundle_style_sheet_and_icon_from_the_gateway(gw):
    references = _references(gw.client.get("/docs").text)
    assert {
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/docs/assets/favicon.png",
        "/openapi.json",
    } <= references
    assert "/docs/assets/redoc.standalone.js" in _references(gw.client.get("/redoc").text)


def test_assets_have_their_media_types(gw):
    assert (
        gw.client.get("/docs/assets/swagger-ui-bundle.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )
    assert (
        gw.client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    )
    assert gw.client.get("/docs/assets/favicon.png").headers["content-type"] == "image/png"


@pytest.mark.parametrize("name", ["nope.js", "..%2Fcore.py", "consts.py"])
def test_only_the_packaged_assets_are_served(gw, name):
    assert gw.client.get(f"/docs/assets/{name}").status_code == 404


def test_swagger_ui_offers_authorize_with_oauth_and_keeps_it(gw):
    html = gw.client.get("/docs").text
    assert "initOAuth" in html
    assert '"persistAuthorization": true' in html


SECRET = "machine-secret-long-enough-for-it"


def _machine(gw, name="batch.job"):
    gw.accounts[name] = account(
        name, kind="machine", person_id=None, roles=[], allowed_networks=["127.0.0.1/32"]
    )
    gw.secrets[name] = SECRET
    return name


def test_client_credentials_by_http_basic_as_swagger_ui_sends_them(gw):
    name = _machine(gw)
    basic = base64.b64encode(f"{name}:{SECRET}".encode()).decode()
    response = gw.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": ""},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"


@pytest.mark.parametrize(
    "authorization", [None, "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()]
)
def test_without_client_credentials_the_client_is_refused(gw, authorization):
    _machine(gw)
    headers = {"Authorization": authorization} if authorization else {}
    response = gw.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=headers
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
