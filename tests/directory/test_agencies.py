"""Agencies and units: reads scoped by agency, writes by the system admin."""

from __future__ import annotations

from tests.directory.builders import create_agency
from tests.directory.conftest import ADMIN, AUDITOR, EMPLOYEE, HR_A01, HR_A02


def test_no_token_is_401(api, demo):
    response = api.get("/agencies")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_list_is_scoped_to_the_principals_agencies(api, demo):
    assert [a["code"] for a in api.get("/agencies", as_=ADMIN).json()["items"]] == [
        "A01",
        "A02",
        "A03",
        "T01",
    ]
    assert [a["code"] for a in api.get("/agencies", as_=HR_A02).json()["items"]] == ["A02"]


def test_list_filters_and_pages(api, demo):
    body = api.get("/agencies", as_=ADMIN, params={"parent": "A01", "limit": 2}).json()
    assert [a["code"] for a in body["items"]] == ["A02", "A03"]
    more = api.get(
        "/agencies", as_=ADMIN, params={"parent": "A01", "limit": 2, "cursor": body["next_cursor"]}
    ).json()
    assert [a["code"] for a in more["items"]] == ["T01"] and more["next_cursor"] is None
    typed = api.get("/agencies", as_=ADMIN, params={"type": "training_institution"}).json()
    assert [a["code"] for a in typed["items"]] == ["T01"]


def test_list_needs_a_read_permission(api, demo):
    assert api.get("/agencies", as_=EMPLOYEE).status_code == 403


def test_get_one(api, demo):
    body = api.get("/agencies/A02", as_=HR_A02).json()
    assert body["parent_code"] == "A01" and body["type"] == "subordinate"
    assert body["created_at"].endswith("Z") or body["created_at"].endswith("+00:00")


def test_get_other_agency_or_missing_is_404(api, demo):
    assert api.get("/agencies/A01", as_=HR_A02).status_code == 404
    assert api.get("/agencies/ZZ9", as_=ADMIN).status_code == 404
    assert api.get("/agencies/A01", as_=EMPLOYEE).status_code == 403


def test_subtree_is_recursive(api, demo, db):
    create_agency(db, "A021", parent="A02")
    create_agency(db, "A0211", parent="A021", type_="school")
    body = api.get("/agencies/A01/subtree", as_=ADMIN).json()
    assert body["codes"] == ["A01", "A02", "A021", "A0211", "A03", "T01"]
    assert api.get("/agencies/A02/subtree", as_=ADMIN).json()["codes"] == ["A02", "A021", "A0211"]
    assert api.get("/agencies/A0211/subtree", as_=ADMIN).json()["codes"] == ["A0211"]


def test_subtree_other_agency_missing_and_wrong_role(api, demo):
    assert api.get("/agencies/A01/subtree", as_=HR_A02).status_code == 404
    assert api.get("/agencies/NOPE/subtree", as_=ADMIN).status_code == 404
    assert api.get("/agencies/A01/subtree", as_=AUDITOR).status_code == 403


def test_subtree_shows_only_what_the_reader_reaches(api, demo, db):
    create_agency(db, "A021", parent="A02")
    narrow = {**HR_A01, "agency_scope": ["A01", "A02"]}
    assert api.get("/agencies/A01/subtree", as_=narrow).json()["codes"] == ["A01", "A02"]


def test_create_agency(api, demo):
    body = {"code": "A04", "name": "示範部第三署", "type": "subordinate", "parent_code": "A01"}
    response = api.post("/agencies", as_=ADMIN, json=body)
    assert response.status_code == 201, response.text
    assert api.get("/agencies/A04", as_=ADMIN).json()["name"] == "示範部第三署"
    assert api.post("/agencies", as_=ADMIN, json=body).status_code == 409


def test_create_agency_validation(api, demo):
    unknown_parent = {"code": "A05", "name": "x", "type": "school", "parent_code": "ZZZ"}
    response = api.post("/agencies", as_=ADMIN, json=unknown_parent)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.parent_code"
    bad_type = {"code": "A05", "name": "x", "type": "ministry"}
    assert api.post("/agencies", as_=ADMIN, json=bad_type).status_code == 422
    bad_code = {"code": "a-05", "name": "x", "type": "school"}
    assert api.post("/agencies", as_=ADMIN, json=bad_code).status_code == 422


def test_create_agency_needs_admin(api, demo):
    body = {"code": "A04", "name": "x", "type": "subordinate", "parent_code": "A01"}
    assert api.post("/agencies", as_=HR_A01, json=body).status_code == 403


def test_update_agency(api, demo):
    response = api.patch("/agencies/A03", as_=ADMIN, json={"name": "新名稱", "parent_code": "A02"})
    assert response.status_code == 200, response.text
    assert response.json()["parent_code"] == "A02"
    assert api.get("/agencies/A02/subtree", as_=ADMIN).json()["codes"] == ["A02", "A03"]
    top = api.patch("/agencies/A03", as_=ADMIN, json={"parent_code": None}).json()
    assert top["parent_code"] is None and top["name"] == "新名稱"


def test_update_agency_refuses_cycles_and_nulls(api, demo):
    response = api.patch("/agencies/A01", as_=ADMIN, json={"parent_code": "A02"})
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "cycle"
    assert api.patch("/agencies/A01", as_=ADMIN, json={"parent_code": "A01"}).status_code == 422
    assert api.patch("/agencies/A01", as_=ADMIN, json={"name": None}).status_code == 422


def test_update_agency_missing_and_wrong_role(api, demo):
    assert api.patch("/agencies/NOPE", as_=ADMIN, json={"name": "x"}).status_code == 404
    assert api.patch("/agencies/A01", as_=HR_A01, json={"name": "x"}).status_code == 403


def test_units_list_and_create(api, demo):
    response = api.post("/agencies/A02/units", as_=HR_A01, json={"code": "LEGAL", "name": "法制室"})
    assert response.status_code == 201, response.text
    codes = [u["code"] for u in api.get("/agencies/A02/units", as_=HR_A02).json()["items"]]
    assert codes == ["HR", "OPS", "LEGAL"]
    again = api.post("/agencies/A02/units", as_=HR_A01, json={"code": "LEGAL", "name": "x"})
    assert again.status_code == 409


def test_units_other_agency_missing_and_wrong_role(api, demo):
    assert api.get("/agencies/A01/units", as_=HR_A02).status_code == 404
    assert (
        api.post("/agencies/A01/units", as_=HR_A02, json={"code": "X", "name": "x"}).status_code
        == 404
    )
    assert api.get("/agencies/NOPE/units", as_=ADMIN).status_code == 404
    assert (
        api.post("/agencies/NOPE/units", as_=ADMIN, json={"code": "X", "name": "x"}).status_code
        == 404
    )
    assert api.get("/agencies/A01/units", as_=EMPLOYEE).status_code == 403
    assert (
        api.post("/agencies/A01/units", as_=EMPLOYEE, json={"code": "X", "name": "x"}).status_code
        == 403
    )
