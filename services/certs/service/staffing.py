"""Staffing (盤點並調度內部AI戰力): search the persons of the caller's agencies by
role, certificate, level, validity, AI hours, agency and unit; counts per agency.

A search names persons with their certificates and AI hours, so each page is
written to the personal-data read log, one row per person listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from services.certs.access import STAFFING_READ
from services.certs.clients import Peers
from services.certs.domain.staffing import (
    SearchFilter,
    SortKey,
    VersionFacts,
    certificate_bits,
    matching_versions,
)
from services.certs.domain.talent import Level
from services.certs.models import personal_data_reads
from services.certs.store import catalogue as catalogue_store
from services.certs.store import person_ai_hours, person_certificates
from services.certs.store import staffing as store
from services.common.audit import record_personal_data_read
from services.common.errors import FieldError, Invalid
from services.common.pagination import PageParams, decode_cursor, encode_cursor
from services.common.principal import Principal
from services.common.reach import check_agency, scopes


def catalogue(session: Session) -> list[VersionFacts]:
    return catalogue_store.version_facts(session)


def agencies_asked(
    who: Principal, peers: Peers, asked: list[str] | None, subordinates: bool
) -> frozenset[str] | None:
    """The agencies a staffing read covers: those asked (each with its subtree
    when `subordinates`), within the caller's scope; all of the scope when none
    is asked (None: every agency, for an unscoped reader). An agency asked
    outside the scope is 404, as elsewhere."""
    held = scopes(who, STAFFING_READ).agency_wide()
    if not asked:
        return None if held.everything else frozenset(held.agencies or ())
    covered: set[str] = set()
    for code in asked:
        check_agency(who, STAFFING_READ, code)
        covered.add(code)
        if subordinates:
            tree = peers.directory().subtree(code)
            # An officer scoped to part of the tree reaches that part only.
            covered.update(c for c in tree if held.covers_agency(c))
    return frozenset(covered)


@dataclass(frozen=True)
class SearchAsk:
    roles: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()
    min_level: Level | None = None
    valid_on: date | None = None
    year: int | None = None
    min_ai_hours: Decimal | None = None
    agency_code: str | None = None
    subordinates: bool = False
    unit_id: str | None = None
    sort: SortKey = SortKey.AI_HOURS


def centi(hours: Decimal | None) -> int | None:
    return None if hours is None else int((hours * 100).to_integral_value())


def resolve(
    session: Session, who: Principal, peers: Peers, ask: SearchAsk, today: date
) -> SearchFilter:
    day = ask.valid_on or today
    agencies = agencies_asked(
        who, peers, [ask.agency_code] if ask.agency_code else None, ask.subordinates
    )
    facts = catalogue(session)
    versions = matching_versions(facts, kinds=ask.kinds, codes=ask.codes, min_level=ask.min_level)
    return SearchFilter(
        day=day,
        year=ask.year or day.year,
        agencies=agencies,
        unit_id=ask.unit_id,
        roles=ask.roles,
        version_ids=versions,
        min_ai_centi=centi(ask.min_ai_hours),
        mask_bits=None if versions is None else certificate_bits(facts, versions),
        # The maintained counts and masks serve when exact on the day.
        masks_cover=person_certificates.counts_cover(session, day),
        # Asked of every search: the page of few persons sorts by the copy too.
        hours_copied=hours_copied(session, ask.year or day.year),
    )


def hours_copied(session: Session, year: int) -> bool:
    """Whether the hours copied on the persons' rows are their hours of `year`
    (or 0 for none): no person has hours of a later year."""
    latest = person_ai_hours.latest_year(session)
    return latest is None or year >= latest


def _after(params: PageParams, sort: SortKey) -> tuple[int, str] | None:
    if params.cursor is None:
        return None
    keys = decode_cursor(params.cursor)
    if (
        len(keys) != 3
        or keys[0] != sort.value
        or not isinstance(keys[1], int)
        or not isinstance(keys[2], str)
    ):
        raise Invalid(
            "cursor is not one this search issued",
            errors=[
                FieldError(
                    field="query.cursor",
                    reason=f"this search's cursor is for sort {sort.value}; "
                    "start again without a cursor after changing the sort",
                    code="cursor",
                )
            ],
        )
    return keys[1], keys[2]


@dataclass(frozen=True)
class FoundRow:
    person: store.FoundPerson
    roles: list[str]
    certificates: list[store.HeldCertificate]


@dataclass(frozen=True)
class SearchResult:
    rows: list[FoundRow]
    next_cursor: str | None
    total: int
    per_agency: list[tuple[str, int]]
    day: date
    year: int


def search(
    session: Session,
    who: Principal,
    peers: Peers,
    ask: SearchAsk,
    params: PageParams,
    today: date,
) -> SearchResult:
    store.plan_serially(session)
    after = _after(params, ask.sort)
    f = resolve(session, who, peers, ask, today)
    # Counted first: how many are found tells how to read the page by hours.
    per_agency = store.counts_per_agency(session, f)
    found, last = store.search_page(
        session,
        f,
        ask.sort,
        params.limit,
        after,
        counts_cover=f.masks_cover,
        matching=sum(n for _, n in per_agency),
    )
    ids = [p.person_id for p in found]
    roles = store.live_roles(session, ids)
    held = store.valid_certificates(session, ids, f.day)
    record_personal_data_read(
        session,
        personal_data_reads,
        who,
        ids,
        "staffing search",
        f"roles, certificates valid on {f.day.isoformat()}, AI hours {f.year}",
    )
    cursor = None if last is None else encode_cursor([ask.sort.value, last[0], last[1]])
    return SearchResult(
        rows=[FoundRow(p, roles.get(p.person_id, []), held.get(p.person_id, [])) for p in found],
        next_cursor=cursor,
        total=sum(n for _, n in per_agency),
        per_agency=per_agency,
        day=f.day,
        year=f.year,
    )
