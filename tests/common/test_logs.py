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
