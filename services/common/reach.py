"""Which scopes of a permission family a principal holds, and the one rule for
answering a request that reaches outside them.

A family (`training:records:read`) is held unscoped — every object of its kind —
or narrowed: `…:agency` (the agencies in `principal.agency_scope`, which the
gateway resolves: the account's agency and, where granted, its subordinates),
`…:unit` (the unit of the principal's own person), `…:self` (the principal's own
person). This module says which of those a principal holds; each service maps
them onto its own tables (`services/<svc>/access.py`), since only it knows
where a unit or a person is recorded.

The rule for 403 and 404, everywhere:

* the principal holds the family in **no scope that can reach objects of the
  kind asked for** (none at all, or only `self`/`unit` for an agency-wide act):
  403 — it may not do this kind of thing, whatever the object;
* it holds such a scope and the object lies **outside** it: 404, the answer for
  an object that does not exist, so that nobody learns what exists beyond
  their reach.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import Forbidden, NotFound, Problem
from services.common.principal import Principal

SCOPES = ("agency", "unit", "self")


@dataclass(frozen=True)
class Scopes:
    """The scopes of `family` one principal holds."""

    family: str
    everything: bool = False
    # None when `…:agency` is not held; held with an empty agency scope reaches none.
    agencies: frozenset[str] | None = None
    # The principal's person whose unit `…:unit` reaches; None when not held.
    unit_of: str | None = None
    # The principal's person, when `…:self` is held.
    person_id: str | None = None
    held: frozenset[str] = frozenset()

    @property
    def none(self) -> bool:
        """No scope of the family at all."""
        return not (self.everything or self.held)

    def agency_wide(self) -> Scopes:
        """Only the scopes that can reach an agency as a whole (unscoped, `…:agency`):
        what an agency-level act (a report, a policy, a class) is decided on."""
        return Scopes(
            family=self.family,
            everything=self.everything,
            agencies=self.agencies,
            held=self.held & {"agency"},
        )

    def covers_agency(self, agency_code: str | None) -> bool:
        if self.everything:
            return True
        return agency_code is not None and agency_code in (self.agencies or frozenset())


def scopes(principal: Principal, family: str) -> Scopes:
    """Every scope of `family` (written without a scope) that `principal` holds."""
    if principal.has(family):
        return Scopes(family=family, everything=True)
    held = frozenset(s for s in SCOPES if principal.has(f"{family}:{s}"))
    person = principal.person_id
    return Scopes(
        family=family,
        agencies=frozenset(principal.agency_scope) if "agency" in held else None,
        unit_of=person if "unit" in held else None,
        person_id=person if "self" in held else None,
        held=held,
    )


# An agency created or moved under the caller's a moment ago is not in the token
# yet: the gateway resolves account scopes from the directory and keeps them for
# its account cache time. Said here, so that the refusal is known to be passing.
AGENCY_OUTSIDE = (
    "no such agency within your scope (an agency added or moved in the directory "
    "in the last minute reaches your scope once the gateway's account cache "
    "renews it: GATEWAY_PRINCIPAL_TTL_SECONDS, 30 s by default)"
)


def outside(held: Scopes, detail: str) -> Problem:
    """The refusal for an object outside `held`, by the rule above; `detail`
    is the not-found message, the same as for a missing object."""
    if held.none:
        return Forbidden(f"requires permission {held.family}")
    return NotFound(detail)


def check_agency(principal: Principal, family: str, agency_code: str) -> None:
    """An agency-level act on `agency_code` (named in the path, the query or the
    body): 403 without an agency-wide scope of `family`, 404 for an agency
    outside it."""
    held = scopes(principal, family).agency_wide()
    if not held.covers_agency(agency_code):
        raise outside(held, AGENCY_OUTSIDE)
