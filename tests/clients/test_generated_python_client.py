"""The merged document generates a Python client (openapi-python-client) with no
warning, a method for every operation, import operations included, and every
import operation documents its columns; the end-to-end script type-checks
against it (it runs in test_end_to_end.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

from services.common.importing.columns import column_table
from services.training.api.import_columns import RECORD_COLUMNS
from services.training.domain.record_rows import OPTIONAL, PERSON_COLUMNS, REQUIRED
from tests.clients.conftest import PYTHON_E2E

IMPORT_MEDIA_TYPES = {"text/csv", "application/x-ndjson"}


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


def test_the_python_client_generates_without_warnings(document, python_client) -> None:
    output = python_client.output
    assert "Warning" not in output and "WARNING" not in output, output
    package = python_client.path / "renshi_client"
    generated = {p.stem for p in (package / "api").rglob("*.py")}
    for path, op in _imports(document):
        assert op["operationId"] in generated, f"no method for {path}"
    every = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert every <= generated, sorted(every - generated)


def test_the_end_to_end_script_type_checks_against_the_generated_client(python_client) -> None:
    """clients/python/e2e.py calls the generated methods with the right arguments
    and reads the right fields (mypy --strict; the generated package itself is
    read for its types, not judged)."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent"),
            *("--no-incremental", str(PYTHON_E2E)),
        ],
        env={**os.environ, "MYPYPATH": str(python_client.path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
