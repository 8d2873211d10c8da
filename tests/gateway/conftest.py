from __future__ import annotations

import pytest

from tests.gateway.harness import Harness, build


@pytest.fixture
def gw(tmp_path) -> Harness:
    client, harness = build(tmp_path)
    with client:
        yield harness
