"""End to end with the generated Python client (openapi-python-client), against a
running system: list persons, import learning records and follow the import to
its end, download an agency's compliance workbook, read a comp-time balance
(after placing the person on attendance's roster, by import too).

The client is generated from the gateway's document into a package named
`renshi_client` (tests/clients/test_end_to_end.py does it, then type-checks this
script against it with mypy and runs it against `renshi up`):

    uv run openapi-python-client generate --path openapi.json --meta none \\
        --output-path DIR/renshi_client --config tests/clients/openapi-python-client.yaml
    PYTHONPATH=DIR RENSHI_URL=http://127.0.0.1:8000 RENSHI_HR_TOKEN=… \\
        RENSHI_TRAINER_TOKEN=… RENSHI_IMPORTER_SECRET_FILE=var/demo-importer-secret \\
        uv run python clients/python/e2e.py

Tokens come from the environment, never the command line (which `ps` shows):
`RENSHI_HR_TOKEN` (hr.a01: persons, reports, comp time) and `RENSHI_TRAINER_TOKEN`
(trainer.a01: the course category the records name); the importer signs in
itself with OAuth2 client credentials (`importer.elearn` and the secret in
`RENSHI_IMPORTER_SECRET_FILE`). Prints a JSON summary; exits 1 on the first step
that fails, naming it.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

from renshi_client import AuthenticatedClient, Client
from renshi_client.api.attendance_comptime import attendance_comptime_get_comptime_balance
from renshi_client.api.attendance_roster import attendance_roster_import_roster
from renshi_client.api.directory_persons import directory_persons_list_persons
from renshi_client.api.gateway import gateway_oauth_token
from renshi_client.api.training_catalogue import training_catalogue_put_category
from renshi_client.api.training_imports import (
    training_imports_create_import,
    training_imports_get_import,
)
from renshi_client.api.training_reports import training_reports_get_agency_report_xlsx
from renshi_client.models import (
    AttendanceRosterImportRosterFormatType0,
    BodyGatewayOauthToken,
    CategoryIn,
    ComptimeBalanceOut,
    ImportJobOut,
    ImportResult,
    PagePersonSummary,
    TokenResponse,
)
from renshi_client.types import File

AGENCY = "A01"
IMPORTER = "importer.elearn"
FINISHED = {"completed", "interrupted", "failed", "succeeded", "finished"}
FOLLOW_SECONDS = 300.0
TAIPEI = timezone(timedelta(hours=8))


class StepFailed(Exception):
    pass


def step(name: str, ok: bool, detail: object = "") -> None:
    if not ok:
        raise StepFailed(f"{name}: {detail}")


def importer_token(base: str, secret_file: Path) -> str:
    """OAuth2 client credentials at /oauth/token, as the import platform signs in."""
    anonymous = Client(base_url=base)
    body = BodyGatewayOauthToken(
        grant_type="client_credentials",
        client_id=IMPORTER,
        client_secret=secret_file.read_text(encoding="utf-8").strip(),
    )
    answer = gateway_oauth_token.sync_detailed(client=anonymous, body=body)
    step("sign in as the importer", isinstance(answer.parsed, TokenResponse), answer.status_code)
    assert isinstance(answer.parsed, TokenResponse)
    return answer.parsed.access_token


def list_persons(hr: AuthenticatedClient) -> list[str]:
    answer = directory_persons_list_persons.sync_detailed(client=hr, agency=AGENCY, limit=50)
    page = answer.parsed
    step("list persons", isinstance(page, PagePersonSummary), answer.status_code)
    assert isinstance(page, PagePersonSummary)
    step("list persons", bool(page.items), "the agency lists nobody")
    return [p.id for p in page.items]


def import_records(
    trainer: AuthenticatedClient, importer: AuthenticatedClient, person_id: str, day: date
) -> ImportJobOut:
    """Two learning records for `person_id`, then the job followed to its end."""
    category = CategoryIn(name="人工智慧")
    answer = training_catalogue_put_category.sync_detailed("C01", client=trainer, body=category)
    step("course category", answer.status_code in (200, 201), answer.status_code)
    run = uuid.uuid4().hex[:8]
    lines = [
        "external_id,person_id,course_id,course_title,category,topics,hours,completed_at",
        f"E2E-{run}-1,{person_id},AI-{run}-1,生成式AI入門,C01,ai_basic,3,{day.isoformat()}",
        f"E2E-{run}-2,{person_id},AI-{run}-2,AI治理與倫理,C01,ai_advanced,3,{day.isoformat()}",
    ]
    csv = ("\n".join(lines) + "\n").encode("utf-8")
    started = training_imports_create_import.sync_detailed(
        client=importer,
        body=File(payload=BytesIO(csv), file_name="records.csv", mime_type="text/csv"),
        source="elearn",
    )
    job = started.parsed
    step("start the import", isinstance(job, ImportJobOut), f"{started.status_code}")
    assert isinstance(job, ImportJobOut)
    deadline = time.monotonic() + FOLLOW_SECONDS
    while job.status not in FINISHED:
        step("follow the import", time.monotonic() < deadline, f"still {job.status}")
        time.sleep(0.5)  # polling the job resource, bounded by the deadline
        polled = training_imports_get_import.sync_detailed(job.id, client=importer)
        step("follow the import", isinstance(polled.parsed, ImportJobOut), polled.status_code)
        assert isinstance(polled.parsed, ImportJobOut)
        job = polled.parsed
    step("the import completed", job.status == "completed", job.status)
    step("every row imported", job.failed == 0 and job.inserted == 2, job.errors)
    return job


def compliance_workbook(hr: AuthenticatedClient, year: int) -> bytes:
    answer = training_reports_get_agency_report_xlsx.sync_detailed(AGENCY, client=hr, year=year)
    step("download the workbook", isinstance(answer.parsed, File), answer.status_code)
    assert isinstance(answer.parsed, File)
    content = answer.parsed.payload.read()
    step("the workbook is an XLSX (zip) file", content[:2] == b"PK", content[:8])
    return content


def place_on_attendance_roster(importer: AuthenticatedClient, person_id: str) -> None:
    """Attendance keeps its own roster (who works where, at which hourly rate):
    a balance is read for a person on it."""
    csv = f"person_id,agency_code,unit_code,hourly_rate\n{person_id},{AGENCY},IT,312.50\n"
    answer = attendance_roster_import_roster.sync_detailed(
        client=importer,
        body=File(payload=BytesIO(csv.encode()), file_name="roster.csv", mime_type="text/csv"),
        format_=AttendanceRosterImportRosterFormatType0.CSV,
    )
    result = answer.parsed
    step("attendance roster", isinstance(result, ImportResult), answer.status_code)
    assert isinstance(result, ImportResult)
    step("attendance roster", result.failed == 0 and result.rows == 1, result.errors)


def comptime_balance(hr: AuthenticatedClient, person_id: str) -> ComptimeBalanceOut:
    answer = attendance_comptime_get_comptime_balance.sync_detailed(person_id, client=hr)
    balance = answer.parsed
    step("read the comp-time balance", isinstance(balance, ComptimeBalanceOut), answer.status_code)
    assert isinstance(balance, ComptimeBalanceOut)
    return balance


def main() -> int:
    base = os.environ["RENSHI_URL"]
    hr = AuthenticatedClient(base_url=base, token=os.environ["RENSHI_HR_TOKEN"])
    trainer = AuthenticatedClient(base_url=base, token=os.environ["RENSHI_TRAINER_TOKEN"])
    secret = Path(os.environ["RENSHI_IMPORTER_SECRET_FILE"])
    today = datetime.now(TAIPEI).date()
    try:
        importer = AuthenticatedClient(base_url=base, token=importer_token(base, secret))
        persons = list_persons(hr)
        job = import_records(trainer, importer, persons[0], today)
        workbook = compliance_workbook(hr, today.year)
        place_on_attendance_roster(importer, persons[0])
        balance = comptime_balance(hr, persons[0])
    except StepFailed as failed:
        print(f"end-to-end failed at {failed}", file=sys.stderr)
        return 1
    summary: dict[str, Any] = {
        "persons": len(persons),
        "import": {"id": job.id, "status": job.status, "inserted": job.inserted},
        "workbook_bytes": len(workbook),
        "balance": {"person_id": balance.person_id, "minutes": balance.balance_minutes},
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
