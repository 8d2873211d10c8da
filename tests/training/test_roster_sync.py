"""An agency's roster read from the directory: every page, in service only,
replaced whole or not at all."""

from __future__ import annotations

import httpx
import pytest

from services.training import clients
from tests.training.conftest import EMPLOYEE, HR_A01, HR_B, Down

PARAMS = {"year": 2026, "as_of": "2026-11-01", "subordinates": "false"}
SYNC = "/roster/agencies/A01/sync"


def headcount(call) -> int:
    report = call("GET", "/reports/agencies/A01", HR_A01, params=PARAMS)
    assert report.status_code == 200, report.text
    return int(report.json()["tally"]["headcount"])


def units(call) -> list[tuple[str, int]]:
    report = call("GET", "/reports/agencies/A01", HR_A01, params=PARAMS).json()
    return [(u["unit_id"], u["tally"]["headcount"]) for u in report["units"]]


@pytest.fixture
def staffed(call, wiring):
    # A roster pushed earlier: P-OLD has since left the agency.
    pushed = {"persons": [{"person_id": "P-OLD", "unit_id": "11"}]}
    assert call("PUT", "/roster/agencies/A01", HR_A01, json=pushed).status_code == 200
    wiring.persons.update(
        {"P001": ("A01", 11), "P002": ("A01", 12), "P003": ("A01", None), "P900": ("B01", 90)}
    )
    return wiring


def test_sync_replaces_the_roster_with_the_directory_staff(call, staffed):
    response = call("POST", SYNC, HR_A01)
    assert response.status_code == 200, response.text
    assert response.json() == {"agency_code": "A01", "listed": 3, "removed": 1}
    assert headcount(call) == 3
    assert units(call) == [("", 1), ("11", 1), ("12", 1)]
    # A second sync with nothing changed changes nothing.
    assert call("POST", SYNC, HR_A01).json() == {"agency_code": "A01", "listed": 3, "removed": 0}


def test_every_page_is_read(call, staffed, monkeypatch):
    monkeypatch.setattr(clients, "STAFF_PAGE", 2)
    staffed.persons.update({f"P10{i}": ("A01", 11) for i in range(4)})
    before = staffed.directory_calls
    assert call("POST", SYNC, HR_A01).json()["listed"] == 7
    assert staffed.directory_calls - before == 4  # pages of 2, 2, 2, 1
    assert headcount(call) == 7


def test_directory_down_leaves_the_roster_as_it_was(call, staffed):
    staffed.transports["directory"] = Down()
    response = call("POST", SYNC, HR_A01)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert headcount(call) == 1


def test_directory_failing_on_a_later_page_changes_nothing(call, staffed, monkeypatch):
    monkeypatch.setattr(clients, "STAFF_PAGE", 1)
    inner = staffed.transports["directory"]
    served = []

    class DiesAfterTwoPages(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            served.append(request.url.path)
            if len(served) > 2:  # from the third page on, retries included
                raise httpx.ConnectError("connection reset", request=request)
            return inner.handle_request(request)

    staffed.transports["directory"] = DiesAfterTwoPages()
    assert call("POST", SYNC, HR_A01).status_code == 503
    assert len(served) >= 3
    assert headcount(call) == 1


def test_a_directory_refusal_is_the_callers_403(call, staffed):
    staffed.transports["directory"] = httpx.MockTransport(
        lambda request: httpx.Response(403, json={"detail": "requires directory:persons:read"})
    )
    response = call("POST", SYNC, HR_A01)
    assert response.status_code == 403
    assert "directory:persons:read" in response.json()["detail"]
    assert headcount(call) == 1


def test_a_page_naming_another_agency_is_refused(call, staffed):
    staffed.transports["directory"] = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            json={
                "items": [{"id": "P900", "agency_code": "B01", "unit_id": 9, "status": "active"}],
                "next_cursor": None,
            },
        )
    )
    assert call("POST", SYNC, HR_A01).status_code == 503
    assert headcount(call) == 1


@pytest.mark.parametrize(("principal", "status"), [(HR_B, 404), (EMPLOYEE, 403), (None, 401)])
def test_only_a_writer_for_the_agency_may_sync(call, staffed, principal, status):
    before = staffed.directory_calls
    assert call("POST", SYNC, principal).status_code == status
    assert staffed.directory_calls == before  # refused before the directory is asked
    assert headcount(call) == 1


def test_against_the_directory_itself(call, apps, client, wiring):
    """The real directory app: its list filter, its pages, its idea of who is in
    service, and the caller's own directory permission."""
    from sqlmodel import Session, select

    from services.directory.demo import seed_demo
    from services.directory.models import Person

    with Session(apps["directory"].state.engine) as session:
        seed_demo(session)
        session.commit()
        in_service = session.exec(
            select(Person).where(Person.agency_code == "A01", Person.status == "active")
        ).all()
        expected = {p.id: str(p.unit_id) if p.unit_id is not None else "" for p in in_service}
    assert len(expected) >= 2
    wiring.transports["directory"] = client("directory")._transport
    hr = {
        **HR_A01,
        "agency_scope": ["A01"],
        "permissions": [*HR_A01["permissions"], "directory:persons:read:agency"],
    }
    response = call("POST", SYNC, hr)
    assert response.status_code == 200, response.text
    assert response.json() == {"agency_code": "A01", "listed": len(expected), "removed": 0}
    report = call("GET", "/reports/agencies/A01", hr, params=PARAMS).json()
    by_unit: dict[str, int] = {}
    for unit in expected.values():
        by_unit[unit] = by_unit.get(unit, 0) + 1
    assert {u["unit_id"]: u["tally"]["headcount"] for u in report["units"]} == by_unit
    # Without the directory permission the directory refuses, and so does the sync.
    assert call("POST", SYNC, HR_A01).status_code == 403
