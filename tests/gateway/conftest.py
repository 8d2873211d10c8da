from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import fresh_database
from tests.gateway.harness import AUDIT_DATABASE, Harness, build


@pytest.fixture(scope="session", autouse=True)
def gateway_audit_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database("gateway", tmp_path_factory.mktemp("gateway-db")) as url:
        AUDIT_DATABASE["url"] = url
        yield url


@pytest.fixture
def gw(tmp_path) -> Iterator[Harness]:
    client, harness = build(tmp_path)
    with client:
        yield harness
