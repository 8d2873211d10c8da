"""The gateway's own operations refuse bad input as the services do: a forged
cursor is a 422 problem naming `query.cursor`, never a 500."""

from __future__ import annotations

import pytest

from tests.common.test_cursors import raw_cursor
from tests.common.test_edge_validation import FORGED_CURSORS
from tests.gateway.harness import account


@pytest.mark.parametrize(
    "text", [*FORGED_CURSORS.values(), '["x"]'], ids=[*FORGED_CURSORS, "string key"]
)
def test_a_forged_audit_cursor_is_422_naming_the_cursor(gw, text):
    gw.accounts["audit"] = account("audit", permissions=["gateway:audit:read"])
    response = gw.client.get(
        "/audit/decisions",
        params={"cursor": raw_cursor(text)},
        headers={"Authorization": f"Bearer {gw.token('audit')}"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["field"] == "query.cursor" and error["reason"]
