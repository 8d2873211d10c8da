"""A response through the gateway has one `date` (the gateway server's) and no
`server`: the upstream's own are not copied, and uvicorn adds no `server`."""

from __future__ import annotations

import httpx

from renshi.cli import SERVER_OPTIONS
from tests.gateway.live import serve


def test_the_upstreams_date_and_server_are_not_forwarded(gw):
    token = gw.token()
    response = gw.client.get(
        "/api/training/audit/personal-data-reads", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    assert gw.recorder.requests, "the request was not forwarded"
    names = [k.lower() for k, _v in response.headers.raw]
    # The test client is no server: it stamps nothing, so none is left.
    assert b"date" not in names
    assert b"server" not in names
    assert response.json()["ok"] is True


async def _plain(scope, receive, send):
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_the_server_options_stamp_one_date_and_no_server():
    options = {k: v for k, v in SERVER_OPTIONS.items() if k not in {"log_config"}}
    with serve(_plain, lifespan="off", **options) as base:
        response = httpx.get(base + "/")
    names = [k.lower() for k, _v in response.headers.raw]
    assert names.count(b"date") == 1
    assert b"server" not in names
