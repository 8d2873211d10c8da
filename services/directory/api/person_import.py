"""Bulk upsert of persons from a CSV or JSON Lines file, streamed."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from services.common.errors import Invalid, Problem
from services.directory.access import agency_scope_reach
from services.directory.api.deps import PERSONS_IMPORT, PersonsImporter, SettingsDep
from services.directory.person_import import (
    COLUMNS,
    HeaderError,
    PersonRow,
    Record,
    RecordStream,
    RowError,
    UnsupportedCharset,
    codec_for,
    validate_record,
)
from services.directory.schemas import ImportReport, ImportRowError
from services.directory.store.person_batches import PersonBatches

router = APIRouter(tags=["persons"])
BATCH_SIZE = 500

IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "CSV with a header line, or JSON Lines (one object per line). Columns: "
            + ", ".join(COLUMNS)
            + ". UTF-8 with or without BOM; declare `charset=big5` for Big5."
        ),
        "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/persons/import",
    summary="Create or update persons from a file (idempotent by personnel id)",
    response_model=ImportReport,
    openapi_extra=IMPORT_BODY,
)
async def import_persons(
    request: Request,
    principal: PersonsImporter,
    settings: SettingsDep,
    format: Literal["csv", "jsonl"] = "csv",
    dry_run: Annotated[bool, Query(description="Validate and count; write nothing")] = False,
) -> ImportReport:
    try:
        codec = codec_for(request.headers.get("content-type"))
    except UnsupportedCharset as exc:
        raise Problem(
            str(exc), status=415, slug="unsupported-media-type", title="Unsupported media type"
        ) from None
    batches = PersonBatches(
        request.app.state.engine,
        reach=agency_scope_reach(principal, PERSONS_IMPORT),
        key=settings.national_id_key,
        actor=principal.sub,
        dry_run=dry_run,
    )
    tally = batches.tally
    stream = RecordStream(format, codec)
    pending: list[PersonRow] = []

    async def take(items: list[Record | RowError]) -> None:
        nonlocal pending
        for item in items:
            tally.rows += 1
            if isinstance(item, RowError):
                tally.fail([item])
                continue
            checked = validate_record(item)
            if isinstance(checked, list):
                tally.fail(checked)
                continue
            pending.append(checked)
            if len(pending) >= BATCH_SIZE:
                batch, pending = pending, []
                await run_in_threadpool(batches.apply, batch)

    try:
        async for chunk in request.stream():
            await take(stream.feed(chunk))
        await take(stream.finish())
    except HeaderError as exc:
        raise Invalid(str(exc)) from None
    if pending:
        await run_in_threadpool(batches.apply, pending)
    errors = sorted(tally.errors, key=lambda e: e.row)
    return ImportReport(
        format=format,
        dry_run=dry_run,
        rows=tally.rows,
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        failed=tally.failed,
        errors=[ImportRowError(row=e.row, field=e.field, reason=e.reason) for e in errors],
        errors_truncated=tally.errors_truncated,
        accounts_disabled=tally.accounts_disabled,
    )
