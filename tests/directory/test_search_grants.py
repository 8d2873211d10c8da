"""Delegated lecturer search over HTTP: quotas per agency type, the rules a
grant must meet, revocation, expiry, reach, and the principal it gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from services.common.principal import Principal
from services.common.timeutil import now_utc, today_taipei
from services.directory.domain.search_grants import SEARCH_PERMISSION, latest_end
from services.directory.models import Account, Person
from services.directory.service import principals as principal_use_case
from services.directory.service import search_grants as use_case
from services.directory.store import agencies as agency_store
from tests.directory.conftest import EMPLOYEE, HR_A01, principal
from tests.directory.search_grant_scene import (
    AGENCY_OF_TYPE,
    QUOTAS,
    build_scene,
    officer,
    officer_name,
    reviewer,
    staff_name,
    stored_grant,
    tomorrow,
)

PATH = "/agencies/{code}/search-grants"


@pytest.fixture
def scene(db):
    return build_scene(db)


def _grant(api, code: str, i: int, ends_on: str | None = None, as_=None):
    return api.post(
        PATH.format(code=code),
        as_=as_ or officer(code),
        json={"account": staff_name(code, i), "ends_on": ends_on or tomorrow()},
    )


def _places(api, code: str) -> tuple[int, int, int]:
    body = api.get(PATH.format(code=code), as_=officer(code)).json()
    return body["quota"], body["in_use"], body["free"]


def _searches(db: Session, account: str, now: datetime | None = None) -> bool:
    """Whether the account's principal, resolved as the gateway asks for it (in a
    request's own session), carries the search."""
    with Session(db.get_bind()) as session:
        resolved = principal_use_case.resolve_principal(session, account, now or now_utc())
        session.commit()
    return SEARCH_PERMISSION in resolved.permissions


@pytest.mark.parametrize("agency_type", sorted(AGENCY_OF_TYPE))
def test_the_quota_holds_at_its_boundary(api, scene, db, agency_type):
    """19 of 20 (9 of 10) in use: the 20th (10th) is granted, the 21st (11th) refused."""
    code, quota = AGENCY_OF_TYPE[agency_type], QUOTAS[agency_type]
    for i in range(1, quota):
        assert _grant(api, code, i).status_code == 201
    assert _places(api, code) == (quota, quota - 1, 1)
    last = _grant(api, code, quota)
    assert last.status_code == 201, last.text
    assert last.json()["status"] == "active" and last.json()["granted_by"] == officer_name(code)
    assert _places(api, code) == (quota, quota, 0)
    refused = _grant(api, code, quota + 1)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (body["quota"], body["in_use"]) == (quota, quota)
    assert body["type"].endswith("/search-quota-reached")
    assert [e["code"] for e in body["errors"]] == ["quota_reached"]
    assert f"{quota} of {quota}" in body["detail"]
    assert _places(api, code) == (quota, quota, 0)
    assert not _searches(db, staff_name(code, quota + 1))
    assert _searches(db, staff_name(code, quota))


def test_a_school_has_no_places(api, scene):
    refused = _grant(api, "K01", 1)
    assert refused.status_code == 409
    assert (refused.json()["quota"], refused.json()["in_use"]) == (0, 0)


def test_training_officers_take_no_place_and_need_no_grant(api, scene, db):
    # A second training officer of C01.
    from tests.directory.builders import create_account, create_person

    create_person(db, "C01-OFF2", "C01")
    create_account(db, "officer2.c01", "C01-OFF2", "C01", roles=("training_officer",))
    for i in range(1, 21):
        assert _grant(api, "C01", i).status_code == 201
    # Two training officers search, by their role, beside the 20 grantees.
    assert _places(api, "C01") == (20, 20, 0)
    assert _searches(db, "officer.c01") and _searches(db, "officer2.c01")
    refused = api.post(
        PATH.format(code="C01"),
        as_=officer("C01"),
        json={"account": "officer2.c01", "ends_on": tomorrow()},
    )
    assert refused.status_code == 422
    codes = [e["code"] for e in refused.json()["errors"]]
    assert codes == ["searches_by_role", "quota_reached"]
    assert (refused.json()["quota"], refused.json()["in_use"]) == (20, 20)


def _disable(db: Session, name: str) -> None:
    account = db.get(Account, name)
    assert account is not None
    account.status = "disabled"
    db.add(account)
    db.commit()


def _leave(db: Session, person_id: str) -> None:
    person = db.get(Person, person_id)
    assert person is not None
    person.status = "left"
    db.add(person)
    db.commit()


@pytest.mark.parametrize(
    ("setup", "account", "ends_on", "codes"),
    [
        (None, "nobody", 1, ["unknown_account"]),
        (None, "staff.x01.01", 1, ["other_agency"]),
        ("disable", "staff.c01.01", 1, ["account_disabled"]),
        ("leave", "staff.c01.01", 1, ["not_in_service"]),
        ("machine", "bot.c01", 1, ["not_human"]),
        (None, "staff.c01.01", -1, ["in_the_past"]),
        (None, "staff.c01.01", 0, []),
        (None, "staff.c01.01", 366, ["too_far"]),
        ("grant", "staff.c01.01", 1, ["already_granted"]),
        ("disable", "staff.x01.01", -1, ["account_disabled", "other_agency", "in_the_past"]),
    ],
)
def test_a_refusal_names_every_rule_broken(api, scene, db, setup, account, ends_on, codes):
    from tests.directory.builders import create_account

    if setup == "disable":
        _disable(db, account)
    elif setup == "leave":
        _leave(db, "C01-E01")
    elif setup == "machine":
        create_account(db, "bot.c01", "C01-E02", "C01", kind="machine", networks=("10.0.0.0/8",))
    elif setup == "grant":
        assert _grant(api, "C01", 1).status_code == 201
    end = today_taipei() + timedelta(days=ends_on)
    if ends_on == 366:
        end = latest_end(today_taipei()) + timedelta(days=1)
    response = api.post(
        PATH.format(code="C01"),
        as_=officer("C01"),
        json={"account": account, "ends_on": end.isoformat()},
    )
    if not codes:
        assert response.status_code == 201, response.text
        return
    assert response.status_code == 422, response.text
    body = response.json()
    assert [e["code"] for e in body["errors"]] == codes
    assert body["type"].endswith("/search-grant-rule")
    assert "quota" in body and "in_use" in body
    # Nothing was written: the places in use are as before.
    assert _places(api, "C01")[1] == (1 if setup == "grant" else 0)


def test_the_end_date_may_be_an_roc_date_and_a_year_at_most(api, scene):
    latest = latest_end(today_taipei())
    roc = f"{latest.year - 1911}/{latest.month:02d}/{latest.day:02d}"
    response = _grant(api, "C01", 1, ends_on=roc)
    assert response.status_code == 201, response.text
    assert response.json()["ends_on"] == latest.isoformat()
    bad = _grant(api, "C01", 2, ends_on="not a date")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.ends_on"


def test_revoking_frees_a_place_at_once(api, scene, db):
    ids = [_grant(api, "S01", i).json()["id"] for i in range(1, 11)]
    assert _grant(api, "S01", 11).status_code == 409
    path = PATH.format(code="S01") + f"/{ids[3]}/revoke"
    assert api.post(path, as_=officer("S01"), json={"reason": " "}).status_code == 422
    revoked = api.post(path, as_=officer("S01"), json={"reason": "moved to another unit"})
    assert revoked.status_code == 200, revoked.text
    body = revoked.json()
    assert body["status"] == "revoked" and body["revoked_by"] == officer_name("S01")
    assert body["revoked_reason"] == "moved to another unit"
    assert not _searches(db, staff_name("S01", 4))
    assert _places(api, "S01") == (10, 9, 1)
    assert _grant(api, "S01", 11).status_code == 201
    again = api.post(path, as_=officer("S01"), json={"reason": "twice"})
    assert again.status_code == 409
    # Revoked, the holder may be granted again later: the rule is one active grant.
    assert _grant(api, "S01", 4).status_code == 409  # no place left now


def test_an_expired_grant_gives_no_search_and_takes_no_place(api, scene, db):
    yesterday = today_taipei() - timedelta(days=1)
    expired = stored_grant(db, "T01", 1, yesterday)
    assert not _searches(db, staff_name("T01", 1))
    assert _places(api, "T01") == (10, 0, 10)
    listed = api.get(PATH.format(code="T01"), as_=officer("T01"), params={"status": "expired"})
    assert [g["id"] for g in listed.json()["items"]] == [expired.id]
    assert listed.json()["items"][0]["status"] == "expired"
    path = PATH.format(code="T01") + f"/{expired.id}/revoke"
    assert api.post(path, as_=officer("T01"), json={"reason": "late"}).status_code == 409
    # Expired, it does not stand in the way of a new grant.
    assert _grant(api, "T01", 1).status_code == 201
    assert _searches(db, staff_name("T01", 1))


def test_a_grant_ends_with_the_taipei_day(db, scene):
    """Driven through the service's clock: a grant ending on 29 Feb 2028 gives
    search until 23:59:59 that day in Taipei (15:59:59 UTC), not a second later."""
    granted_on = date(2028, 2, 1)
    grant = use_case.grant(
        db,
        _principal(officer("C01")),
        "C01",
        staff_name("C01", 1),
        date(2028, 2, 29),
        today=granted_on,
        now=datetime(2028, 2, 1, 1, 0, tzinfo=UTC),
    )
    db.commit()
    assert grant.id is not None
    agency = agency_store.get_agency(db, "C01")
    assert agency is not None
    last_second = datetime(2028, 2, 29, 15, 59, 59, tzinfo=UTC)
    assert _searches(db, staff_name("C01", 1), now=last_second)
    assert not _searches(db, staff_name("C01", 1), now=last_second + timedelta(seconds=1))
    assert use_case.places(db, agency, date(2028, 2, 29)).in_use == 1
    assert use_case.places(db, agency, date(2028, 3, 1)).in_use == 0


def _principal(claims) -> Principal:
    return Principal(
        sub=claims["sub"],
        kind=claims.get("kind", "human"),
        person_id=claims.get("person_id"),
        agency_code=claims.get("agency_code"),
        agency_scope=claims.get("agency_scope", []),
        roles=claims.get("roles", []),
        permissions=claims["permissions"],
    )


@pytest.mark.parametrize("who", [EMPLOYEE, HR_A01, reviewer("C01")], ids=lambda w: w["sub"])
def test_only_a_training_officer_grants(api, scene, who):
    path = PATH.format(code="C01")
    grant = {"account": staff_name("C01", 1), "ends_on": tomorrow()}
    assert api.get(path, as_=who).status_code == 403
    assert api.post(path, as_=who, json=grant).status_code == 403
    assert api.post(path + "/1/revoke", as_=who, json={"reason": "x"}).status_code == 403
    assert api.get(path).status_code == 401
    assert _grant(api, "C01", 1).status_code == 201


def test_another_agency_is_not_found(api, scene, db):
    own = _grant(api, "S01", 1).json()["id"]
    # The competent authority's officer reaches C01 only (no subordinates granted).
    assert api.get(PATH.format(code="S01"), as_=officer("C01")).status_code == 404
    assert _grant(api, "S01", 2, as_=officer("C01")).status_code == 404
    revoke = api.post(
        PATH.format(code="C01") + f"/{own}/revoke", as_=officer("C01"), json={"reason": "x"}
    )
    assert revoke.status_code == 404
    assert api.get(PATH.format(code="C01") + f"/{own}", as_=officer("C01")).status_code == 404
    assert api.get(PATH.format(code="NOPE"), as_=officer("C01")).status_code == 404
    wider = principal(
        "training_officer",
        sub="officer.c01",
        person_id="C01-OFF",
        agency_code="C01",
        agency_scope=["C01", "S01"],
    )
    # With the subordinate in scope, its grants are within reach.
    assert api.get(PATH.format(code="S01"), as_=wider).json()["in_use"] == 1


def test_the_list_filters_and_pages(api, scene, db):
    stored_grant(db, "C01", 1, today_taipei() - timedelta(days=2))
    stored_grant(db, "C01", 2, today_taipei() + timedelta(days=2), revoked=True)
    for i in (3, 4, 5):
        assert _grant(api, "C01", i).status_code == 201
    path = PATH.format(code="C01")

    def accounts(**params):
        body = api.get(path, as_=officer("C01"), params=params).json()
        return [g["account"] for g in body["items"]], body

    active, body = accounts(status="active")
    assert active == [staff_name("C01", i) for i in (5, 4, 3)]
    assert (body["quota"], body["in_use"], body["free"]) == (20, 3, 17)
    assert accounts(status="expired")[0] == [staff_name("C01", 1)]
    assert accounts(status="revoked")[0] == [staff_name("C01", 2)]
    assert len(accounts(status=["expired", "revoked"])[0]) == 2
    assert accounts(account=staff_name("C01", 4))[0] == [staff_name("C01", 4)]
    first, page = accounts(limit=2)
    assert len(first) == 2 and page["next_cursor"]
    rest, last = accounts(limit=2, cursor=page["next_cursor"])
    assert len(rest) == 2 and last["next_cursor"]
    assert api.get(path, as_=officer("C01"), params={"status": "gone"}).status_code == 422


def test_the_account_review_lists_the_grant(api, scene, db):
    grant = _grant(api, "C01", 1).json()
    opened = api.post("/agencies/C01/account-reviews", as_=reviewer("C01"))
    assert opened.status_code == 201, opened.text
    items = {i["account"]: i for i in opened.json()["items"]}
    listed = items[staff_name("C01", 1)]["search_grant"]
    assert listed["id"] == grant["id"]
    assert listed["ends_on"] == grant["ends_on"]
    assert listed["granted_by"] == officer_name("C01")
    assert items[staff_name("C01", 2)]["search_grant"] is None
    assert items[officer_name("C01")]["search_grant"] is None
    # Revoking the account with its roles takes the delegated search too.
    campaign = opened.json()["id"]
    decided = api.post(
        f"/account-reviews/{campaign}/items/{staff_name('C01', 1)}",
        as_=reviewer("C01"),
        json={"decision": "revoke", "reason": "left the training unit", "remove_roles": True},
    )
    assert decided.status_code == 200, decided.text
    after = api.get(PATH.format(code="C01") + f"/{grant['id']}", as_=officer("C01")).json()
    assert after["status"] == "revoked"
    assert after["revoked_reason"] == f"revoked in account review {campaign}"
    assert _places(api, "C01")[1] == 0
