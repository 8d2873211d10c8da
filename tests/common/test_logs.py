from __future__ import annotations

import json
import logging

import pytest

from services.common.logs import JsonFormatter, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("person A123456789 imported", "A123456789"),
        ("resident AB12345678 seen", "AB12345678"),
        ("mail wang.xiaoming@agency.gov.tw bounced", "wang.xiaoming@agency.gov.tw"),
        ("call 0912-345-678 now", "0912-345-678"),
        ("call +886 912345678", "912345678"),
        ("office 02-23456789", "23456789"),
        ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
        ("token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln", "eyJ"),
    ],
)
def test_redact_removes_personal_data_and_tokens(text, secret):
    assert secret not in redact(text)


def test_redact_keeps_ordinary_text():
    assert redact("imported 120 rows for agency A01 in 2026") == (
        "imported 120 rows for agency A01 in 2026"
    )


def test_json_formatter_redacts_message_and_extras():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "row for %s", ("A123456789",), None)
    record.note = "contact a@b.tw"
    payload = json.loads(JsonFormatter("training").format(record))
    assert payload["service"] == "training"
    assert "A123456789" not in json.dumps(payload)
    assert "a@b.tw" not in payload["note"]


def test_start_up_keeps_to_what_a_person_reads(capsys):
    import logging

    from services.common.logs import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("demo")
        logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.x")
        uvicorn = logging.getLogger("uvicorn.error")
        uvicorn.info("Waiting for application startup.")
        uvicorn.info("Application startup complete.")
        uvicorn.info("Uvicorn running on http://127.0.0.1:8001")
        logging.getLogger("alembic.runtime.migration").warning("something to act on")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "setup plugin" not in err and "startup" not in err.lower()
    assert "Uvicorn running on" in err and "something to act on" in err
