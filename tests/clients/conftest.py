"""The merged document as a client downloads it, and the clients generated from
it once per run: the Python package (openapi-python-client) and a TypeScript
project (openapi-typescript types, openapi-fetch) installed with `npm ci`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import GatewaySettings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).parent / "openapi-python-client.yaml"
TYPESCRIPT = ROOT / "clients" / "typescript"
PYTHON_E2E = ROOT / "clients" / "python" / "e2e.py"
# What the TypeScript check is made of; node_modules and the generated types are not.
TYPESCRIPT_SOURCES = ("package.json", "package-lock.json", "tsconfig.json", "src/e2e.ts")


@dataclass(frozen=True)
class Generated:
    path: Path  # the package's parent (Python) or the project (TypeScript)
    output: str  # what the generator printed


@pytest.fixture(scope="session")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document the gateway serves, as a client downloads it."""
    keys = tmp_path_factory.mktemp("keys")
    app = create_app(GatewaySettings(keys_dir=keys, environment="test"))
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        answer = client.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def _run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def python_client(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """The Python client, generated as the package `renshi_client`."""
    work = tmp_path_factory.mktemp("python-client")
    spec = work / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    generator = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert generator, "openapi-python-client is a dev dependency"
    done = _run(
        [
            *(generator, "generate", "--path", str(spec), "--meta", "none"),
            *("--output-path", str(work / "renshi_client"), "--config", str(CONFIG)),
        ],
        cwd=work,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return Generated(work, output)


@pytest.fixture(scope="session")
def typescript_project(
    document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Generated:
    """clients/typescript copied apart, `npm ci` run in it (npm's own cache makes a
    second run quick), and the types generated from the document into
    `src/renshi.d.ts`."""
    npm = shutil.which("npm")
    assert npm, "Node.js and npm are needed: apt-get install -y nodejs npm"
    project = tmp_path_factory.mktemp("typescript-client")
    for name in TYPESCRIPT_SOURCES:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TYPESCRIPT / name, project / name)
    installed = _run([npm, "ci", "--prefer-offline", "--no-audit", "--no-fund"], cwd=project)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (project / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    generator = project / "node_modules" / ".bin" / "openapi-typescript"
    done = _run(
        [str(generator), "openapi.json", "--output", "src/renshi.d.ts"], cwd=project, timeout=120
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return Generated(project, output)
