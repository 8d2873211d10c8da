"""The merged document generates TypeScript types (openapi-typescript) with no
warning, a typed path for every operation, file answers typed apart from JSON,
and the end-to-end script (clients/typescript/src/e2e.ts, calls through
openapi-fetch) type-checks against them under `strict` (it runs in
test_end_to_end.py)."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from tests.clients.conftest import Generated

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_types_generate_without_warnings(typescript_project: Generated) -> None:
    output = typescript_project.output
    # openapi-typescript marks a warning with ⚠ (and goes on) and an error with ✘.
    assert not re.search(r"warn|⚠|✘|error", output, flags=re.I), output
    assert (typescript_project.path / "src" / "renshi.d.ts").stat().st_size > 0


def test_every_operation_is_typed(typescript_project: Generated, document: dict[str, Any]) -> None:
    types = (typescript_project.path / "src" / "renshi.d.ts").read_text(encoding="utf-8")
    for path in document["paths"]:
        assert f'    "{path}": {{' in types, path
    for item in document["paths"].values():
        for op in item.values():
            assert f"    {op['operationId']}: {{" in types, op["operationId"]


def test_files_are_typed_as_files_and_reports_as_models(typescript_project: Generated) -> None:
    """A report's JSON operation answers its model only, and its file operation one
    media type: no `Report | string` left for the caller to tell apart."""
    types = (typescript_project.path / "src" / "renshi.d.ts").read_text(encoding="utf-8")

    def success(name: str) -> str:
        """The `content` of the operation's 200 answer."""
        start = types.index("            200: {", types.index(f"    {name}: {{"))
        content = types.index("content: {", start)
        return types[content : types.index("};", content)]

    assert success("training_reports_get_agency_report").split() == [
        "content:",
        "{",
        '"application/json":',
        'components["schemas"]["AgencyReportOut"];',
    ]
    for name, media in (
        ("training_reports_get_agency_report_xlsx", XLSX),
        ("training_reports_get_agency_shortfalls_csv", "text/csv"),
        ("training_reports_get_person_records_csv", "text/csv"),
        ("attendance_reports_monthly_overtime_csv", "text/csv"),
    ):
        assert success(name).split() == ["content:", "{", f'"{media}":', "string;"], name


def test_the_end_to_end_script_type_checks(typescript_project: Generated) -> None:
    tsc = typescript_project.path / "node_modules" / ".bin" / "tsc"
    done = subprocess.run(
        [str(tsc), "--noEmit"],
        cwd=typescript_project.path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
