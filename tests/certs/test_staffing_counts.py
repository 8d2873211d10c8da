"""Each person's maintained count of valid certificates (store/person_certificates.py):
recounted by every registry write that can change it, and by the daily expiry
job for a certificate lapsing with the passing of a day; the search sorted by
certificates reads it only on a day the counts cover, and counts otherwise."""

# The fixtures imported from staffing_data are redefined as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import Session

from services.certs.domain.staffing import valid_on
from services.certs.jobs import expiry
from services.certs.models import Certificate, TalentPerson
from services.certs.store.person_certificates import counts_cover, recount
from tests.certs.conftest import HOLDER, HR_A01, add_entry, submit, verified, verify
from tests.certs.staffing_data import STAFF_A01, Data, data  # noqa: F401
from tests.certs.test_imports import _post, _rows

DAY = date(2026, 6, 1)
PID = HOLDER["person_id"]


@pytest.fixture
def holder(data: Data) -> None:
    data.person(PID)
    data.person("P-AAA")  # no certificate: sorts before PID on a tie at 0
    data.commit()
    # Counted once: with no certificate, its count covers every day.
    recount(data.session, ["P-AAA"], DAY)
    data.commit()


def _count(certs_app: FastAPI, day: date) -> tuple[int, int, bool]:
    """(maintained count, count from the rows themselves, counts cover `day`)."""
    with Session(certs_app.state.engine) as session:
        row = session.get(TalentPerson, PID)
        assert row is not None
        rows = session.scalars(select(Certificate).where(Certificate.person_id == PID)).all()
        actual = sum(valid_on(c.state, c.obtained_on, c.expires_on, day) for c in rows)
        return row.valid_certificates, actual, counts_cover(session, day)


def _decide(call: Any, certificate_id: int, action: str) -> None:
    body = {} if action == "verify" else {"reason": "because"}
    answer = call("POST", f"/certificates/{certificate_id}/{action}", HR_A01, json=body)
    assert answer.status_code == 200, answer.text


def test_every_write_that_changes_validity_recounts(call, certs_app, holder, registered_on) -> None:
    registered_on(DAY)
    version = add_entry(call)["current"]["id"]
    assert _count(certs_app, DAY)[2] is False  # the rows were written uncounted
    first = submit(call, version, "N-1", "2026-03-01")
    assert _count(certs_app, DAY) == (0, 0, True)
    verify(call, first["id"])
    assert _count(certs_app, DAY) == (1, 1, True)
    rejected = submit(call, version, "N-2", "2026-03-02")
    _decide(call, rejected["id"], "reject")
    assert _count(certs_app, DAY) == (1, 1, True)
    revoked = verify(call, submit(call, version, "N-3", "2026-03-03")["id"])
    assert _count(certs_app, DAY) == (2, 2, True)
    _decide(call, revoked["id"], "revoke")
    assert _count(certs_app, DAY) == (1, 1, True)
    renewal = call(
        "POST",
        f"/certificates/{first['id']}/renewals",
        HOLDER,
        json={"certificate_number": "N-4", "obtained_on": "2026-05-01"},
    )
    assert renewal.status_code == 201, renewal.text
    assert _count(certs_app, DAY) == (1, 1, True)
    verify(call, renewal.json()["id"])
    assert _count(certs_app, DAY) == (2, 2, True)


def test_an_import_recounts_its_holders(call, certs_app, holder, registered_on) -> None:
    registered_on(DAY)
    with Session(certs_app.state.engine) as session:
        assert session.get(TalentPerson, PID).valid_count_until == date(1, 1, 1)  # type: ignore[union-attr]
    add_entry(call)
    answer = _post(call, _rows(f"{PID},A01,aws-ai-practitioner,IMP-1,2026-03-01"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 1
    assert _count(certs_app, DAY) == (0, 0, True)
    with Session(certs_app.state.engine) as session:
        imported = session.scalars(select(Certificate).where(Certificate.person_id == PID)).one()
    verify(call, imported.id)  # type: ignore[arg-type]
    assert _count(certs_app, DAY) == (1, 1, True)


def _order(call: Any, day: date) -> list[str]:
    body = call(
        "GET",
        "/staffing/persons",
        STAFF_A01,
        params={"sort": "certificates", "valid_on": day.isoformat()},
    ).json()
    return [r["person_id"] for r in body["items"]]


def test_a_certificate_lapsing_overnight_is_never_counted_stale(
    call, settings, certs_app, holder, registered_on
) -> None:
    registered_on(date(2024, 3, 2))
    certificate = verified(call, obtained_on="2024-02-29", validity_months=12)
    assert certificate["expires_on"] == "2025-02-28"  # valid through 2025-02-27
    eve, lapse = date(2025, 2, 27), date(2025, 2, 28)
    assert _count(certs_app, eve) == (1, 1, True)
    assert _order(call, eve) == [PID, "P-AAA"]
    # Past midnight the count no longer covers the day: the search counts.
    assert _count(certs_app, lapse) == (1, 0, False)
    assert _order(call, lapse) == ["P-AAA", PID]
    done = expiry(settings=settings, as_of=lapse)
    assert (done["expired"], done["recounted"]) == (1, 1)
    assert _count(certs_app, lapse) == (0, 0, True)
    assert _order(call, lapse) == ["P-AAA", PID]
    # A day before the recount's is not covered either: counted, and right.
    assert _count(certs_app, eve)[1:] == (1, False)
    assert _order(call, eve) == [PID, "P-AAA"]
