"""The house rules hold for the code, and each rule bites on a bad fixture tree."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.architecture.house import Breach, check_tree

ROOT = Path(__file__).resolve().parents[2]

# Breaches that stand today, each to be moved into its layer (router queries
# into stores, commits into the one kernel helper). The list may only shrink:
# a new breach fails the test, and so does a mended one still listed here.
KNOWN: dict[tuple[str, str, str], int] = {}


def _counted(breaches: list[Breach]) -> Counter[tuple[str, str, str]]:
    return Counter(b.key() for b in breaches)


def test_the_house_keeps_its_rules() -> None:
    found = _counted(check_tree(ROOT))
    new = {key: n for key, n in found.items() if n > KNOWN.get(key, 0)}
    mended = {key: n for key, n in KNOWN.items() if found.get(key, 0) < n}
    assert not new, f"breaches of the house rules: {sorted(new)}"
    assert not mended, f"mended: take these off KNOWN: {sorted(mended)}"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


# (rule, file, source): each source breaks exactly the named rule.
BAD = [
    (
        "router-queries",
        "services/demo/api/things.py",
        "from sqlmodel import select\ndef f(session):\n    return session.exec(select(T))\n",
    ),
    (
        "router-queries",
        "services/demo/api/things.py",
        "def f(session, row):\n    session.add(row)\n",
    ),
    ("domain-impure", "services/demo/domain/rules.py", "import sqlalchemy\n"),
    ("domain-impure", "services/demo/domain/rules.py", "from fastapi import HTTPException\n"),
    ("domain-impure", "services/demo/domain/rules.py", "from httpx import Client\n"),
    (
        "domain-impure",
        "services/demo/domain/rules.py",
        "from services.common.errors import Invalid\n",
    ),
    ("store-commits", "services/demo/store/things.py", "def f(session):\n    session.commit()\n"),
    (
        "commit-outside-kernel",
        "services/demo/jobs.py",
        "def f(session):\n    session.commit()\n",
    ),
    (
        "service-imports-service",
        "services/demo/service/x.py",
        "from services.other import models\n",
    ),
    ("kernel-imports-service", "services/common/thing.py", "import services.demo.models\n"),
    ("kernel-imports-service", "services/common/thing.py", "from gateway.settings import X\n"),
    ("gateway-imports-service", "gateway/thing.py", "from services.demo.app import create_app\n"),
    (
        "gateway-imports-service",
        "gateway/thing.py",
        "import importlib\nm = importlib.import_module('services.demo.app')\n",
    ),
]


@pytest.mark.parametrize(("rule", "rel", "source"), BAD)
def test_each_rule_bites_on_a_bad_tree(tmp_path: Path, rule: str, rel: str, source: str) -> None:
    breaches = check_tree(_tree(tmp_path, {rel: source}))
    assert {(b.rule, b.path) for b in breaches} == {(rule, rel)}


def test_a_tree_in_the_skeleton_passes(tmp_path: Path) -> None:
    good = {
        "services/demo/api/things.py": (
            "from services.demo.service import things\n"
            "def get(session):\n    return things.read(session)\n"
        ),
        "services/demo/service/things.py": (
            "from services.demo.store import things as store\n"
            "from services.common.errors import Invalid\n"
            "def read(session):\n    return store.all(session)\n"
        ),
        "services/demo/store/things.py": (
            "from sqlmodel import select\n"
            "def all(session):\n    return session.exec(select(T)).all()\n"
        ),
        "services/demo/domain/rules.py": "from datetime import date\nfrom decimal import Decimal\n",
        "services/common/db.py": "def get_session(session):\n    session.commit()\n",
        "services/common/transactions.py": "def commit_batch(session):\n    session.commit()\n",
        "gateway/app.py": "from services.common.errors import Problem\n",
    }
    assert check_tree(_tree(tmp_path, good)) == []
