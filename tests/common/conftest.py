"""The toy import's database and client (tests/common/importing_toy), shared by
the pipeline's tests and the queued imports' tests.

The toy's tables live in a throwaway database built with create_all (they belong
to no service, so there is no migration to run), on SQLite or PostgreSQL as
RENSHI_TEST_DATABASE says.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from services.common.db import make_engine
from services.common.importing.queue import ImportQueue
from tests.common.importing_toy import Knobs, ToyImportJob, make_app, metadata
from tests.databases import fresh_database

CSV = {"Content-Type": "text/csv; charset=utf-8"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    workdir: Path = tmp_path_factory.mktemp("importing")
    with fresh_database("importing", workdir, migrate=False) as url:
        engine = make_engine(url)
        metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()


@dataclass
class Toy:
    client: TestClient
    knobs: Knobs
    engine: Engine
    queue: ImportQueue

    def post(self, body: bytes | str, *, headers=None, params=None) -> httpx.Response:
        if isinstance(body, str):
            body = body.encode()
        response: httpx.Response = self.client.post(
            "/things/imports", content=body, headers={**CSV, **(headers or {})}, params=params
        )
        return response

    def post_pieces(self, pieces: list[bytes]) -> httpx.Response:
        """The body in these pieces, each its own ASGI message (TestClient would
        join them into one)."""

        async def body() -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.client.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
                return await client.post("/things/imports", content=body(), headers=CSV)

        return asyncio.run(send())

    def job(self, job_id: int) -> dict[str, Any]:
        response = self.client.get(f"/things/imports/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        return job

    def jobs(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(ToyImportJob)).scalar_one())


@pytest.fixture
def toy(engine: Engine, tmp_path: Path) -> Iterator[Toy]:
    knobs = Knobs()
    queue = ImportQueue(engine, tmp_path / "spool")
    app = make_app(engine, knobs, queue)
    yield Toy(TestClient(app, raise_server_exceptions=False), knobs, engine, queue)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
