"""The kernel's scopes of a family and its one rule: no scope that can reach the
kind of object asked for is 403, an object outside a held scope is 404."""

from __future__ import annotations

import pytest

from services.common.errors import Forbidden, NotFound
from services.common.principal import Principal
from services.common.reach import check_agency, outside, scopes

FAMILY = "demo:things:read"


def who(*permissions: str, person: str | None = "P1", agencies: tuple[str, ...] = ("A01",)):
    return Principal(
        sub="x",
        kind="human",
        person_id=person,
        agency_scope=list(agencies),
        permissions=list(permissions),
    )


def test_unscoped_family_is_everything() -> None:
    held = scopes(who(FAMILY), FAMILY)
    assert held.everything and not held.none and held.covers_agency("Z99")


def test_each_scope_is_read_from_its_suffix() -> None:
    held = scopes(who(f"{FAMILY}:agency", f"{FAMILY}:unit", f"{FAMILY}:self"), FAMILY)
    assert held.agencies == frozenset({"A01"}) and held.unit_of == "P1" and held.person_id == "P1"
    assert held.held == {"agency", "unit", "self"} and not held.everything


def test_another_familys_scopes_do_not_count() -> None:
    held = scopes(who("demo:other:read", "demo:things:read:agency:x"), FAMILY)
    assert held.none


def test_no_scope_is_403_and_a_held_scope_is_404() -> None:
    assert isinstance(outside(scopes(who(), FAMILY), "no such thing"), Forbidden)
    refusal = outside(scopes(who(f"{FAMILY}:self"), FAMILY), "no such thing")
    assert isinstance(refusal, NotFound) and refusal.detail == "no such thing"


@pytest.mark.parametrize(
    ("permissions", "agency", "refusal"),
    [
        ((FAMILY,), "Z99", None),
        ((f"{FAMILY}:agency",), "A01", None),
        ((f"{FAMILY}:agency",), "B01", NotFound),
        # `self` and `unit` reach persons, never an agency as a whole.
        ((f"{FAMILY}:self", f"{FAMILY}:unit"), "A01", Forbidden),
        ((), "A01", Forbidden),
    ],
)
def test_agency_level_acts(permissions: tuple[str, ...], agency: str, refusal: type | None) -> None:
    principal = who(*permissions)
    if refusal is None:
        check_agency(principal, FAMILY, agency)
    else:
        with pytest.raises(refusal):
            check_agency(principal, FAMILY, agency)


def test_an_agency_outside_the_scope_says_the_refusal_may_be_passing() -> None:
    with pytest.raises(NotFound) as refused:
        check_agency(who(f"{FAMILY}:agency"), FAMILY, "B01")
    assert "GATEWAY_PRINCIPAL_TTL_SECONDS" in str(refused.value.detail)
