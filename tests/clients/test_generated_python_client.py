"""The merged document generates a Python client (openapi-python-client) with no
warning, a method for every operation, import operations included, and every
import operation documents its columns."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.common.importing.columns import column_table
from services.training.api.import_columns import RECORD_COLUMNS
from services.training.domain.record_rows import OPTIONAL, PERSON_COLUMNS, REQUIRED

CONFIG = Path(__file__).parent / "openapi-python-client.yaml"
IMPORT_MEDIA_TYPES = {"text/csv", "application/x-ndjson"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document the gateway serves, as a client downloads it."""
    keys = tmp_path_factory.mktemp("keys")
    app = create_app(GatewaySettings(keys_dir=keys, environment="test"))
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        answer = client.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def _imports(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, op)
        for path, item in document["paths"].items()
        for op in item.values()
        if set(op.get("requestBody", {}).get("content", {})) == IMPORT_MEDIA_TYPES
    ]


def test_every_import_declares_a_file_body_and_a_column_table(document) -> None:
    imports = _imports(document)
    assert len(imports) >= 5
    for path, op in imports:
        for media in op["requestBody"]["content"].values():
            assert media["schema"] == {"type": "string", "format": "binary"}, path
        text = op["description"]
        assert "| column | required | format | example |" in text, path
        assert len(re.findall(r"^\| `[a-z_]+` \|", text, flags=re.M)) >= 3, path


def test_the_learning_record_table_names_exactly_the_columns_read() -> None:
    read = {c for c in REQUIRED if isinstance(c, str)} | set(PERSON_COLUMNS) | set(OPTIONAL)
    assert {c.name for c in RECORD_COLUMNS} == read
    assert "`hours`" in column_table(RECORD_COLUMNS)


def test_the_python_client_generates_without_warnings(document, tmp_path: Path) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    generator = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert generator, "openapi-python-client is a dev dependency"
    done = subprocess.run(
        [
            *(generator, "generate", "--path", str(spec), "--meta", "none"),
            *("--output-path", str(tmp_path / "client"), "--config", str(CONFIG)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Warning" not in output and "WARNING" not in output, output
    generated = {p.stem for p in (tmp_path / "client" / "api").rglob("*.py")}
    for path, op in _imports(document):
        assert op["operationId"] in generated, f"no method for {path}"
    every = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert every <= generated, sorted(every - generated)
