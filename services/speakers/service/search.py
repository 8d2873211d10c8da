"""Searching the lecturer directory: criteria checked and folded, the index
queried, every field of every result filtered by the lecturer's consent for
the caller's role, and the search audited (who, the query, how many results;
never a result's contact details)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.errors import FieldError, Invalid
from services.common.pagination import decode_cursor, encode_cursor
from services.common.principal import Principal
from services.speakers.access import audience
from services.speakers.domain.consent import Audience, Disclosure, allowed
from services.speakers.domain.text import TERM_MAX, TERM_MIN, fold
from services.speakers.models import Lecturer, SearchAudit, personal_data_reads
from services.speakers.schemas import CategoryOut, EngagementBrief, SearchResult
from services.speakers.store import categories, engagements
from services.speakers.store import lecturers as lecturer_store
from services.speakers.store.search import After, Criterion, search

# Query parameter → index field.
PARAMETERS = {
    "class_name": "class",
    "course_name": "course",
    "name": "name",
    "agency": "agency",
    "expertise": "expertise",
    "category": "category",
}
ENGAGEMENTS_SHOWN = 5
MAX_PAGE = 100


@dataclass(frozen=True)
class Query:
    """The raw criteria, by query parameter name (None: not given)."""

    terms: dict[str, str | None]
    limit: int
    cursor: str | None


def criteria_of(terms: dict[str, str | None]) -> list[Criterion]:
    """The folded criteria, or a 422 naming each bad one (and one when none is given)."""
    given = {k: v for k, v in terms.items() if v is not None}
    errors: list[FieldError] = []
    criteria: list[Criterion] = []
    for parameter, raw in given.items():
        term = fold(raw)
        if not TERM_MIN <= len(term) <= TERM_MAX:
            errors.append(
                FieldError(
                    field=f"query.{parameter}",
                    reason=f"a term is {TERM_MIN} to {TERM_MAX} characters once folded",
                    code="term_length",
                )
            )
            continue
        criteria.append(Criterion(PARAMETERS[parameter], term))
    if not given:
        errors.append(
            FieldError(
                field="query",
                reason="give at least one of " + ", ".join(PARAMETERS),
                code="no_criterion",
            )
        )
    if errors:
        raise Invalid("the search criteria are not usable", errors=errors)
    return criteria


def _after(cursor: str | None) -> After | None:
    if cursor is None:
        return None
    keys = decode_cursor(cursor)
    if (
        len(keys) != 3
        or not isinstance(keys[0], int)
        or not isinstance(keys[1], str)
        or not isinstance(keys[2], int)
    ):
        raise Invalid(
            "cursor is not one this API issued",
            errors=[FieldError(field="query.cursor", reason="not a search cursor", code="cursor")],
        )
    try:
        engaged = date.fromisoformat(keys[1])
    except ValueError:
        raise Invalid(
            "cursor is not one this API issued",
            errors=[FieldError(field="query.cursor", reason="not a search cursor", code="cursor")],
        ) from None
    return After(keys[0], engaged, keys[2])


def _shown(lecturer: Lecturer, field: str, who: Audience) -> bool:
    return allowed(Disclosure(getattr(lecturer, f"{field}_disclosure")), who)


def run(session: Session, who: Principal, query: Query) -> tuple[list[SearchResult], str | None]:
    # The cursor first: a forged one is refused for what it is, whatever else is missing.
    after = _after(query.cursor)
    criteria = criteria_of(query.terms)
    role = audience(who)
    limit = min(query.limit, MAX_PAGE)
    hits = search(session, criteria, role, limit + 1, after)
    more = len(hits) > limit
    hits = hits[:limit]
    ids = [h.lecturer_id for h in hits]
    rows = lecturer_store.by_ids(session, ids)
    filed = categories.of_lecturers(session, ids)
    shows_records = [i for i in ids if _shown(rows[i], "engagements", role)]
    records = engagements.latest_visible(session, shows_records, ENGAGEMENTS_SHOWN)
    results = []
    contact_read: dict[str, list[str]] = {}
    for hit in hits:
        lecturer = rows[hit.lecturer_id]
        email = lecturer.email if _shown(lecturer, "email", role) and lecturer.email else None
        phone = lecturer.phone if _shown(lecturer, "phone", role) and lecturer.phone else None
        shown = ",".join(name for name, value in (("email", email), ("phone", phone)) if value)
        if shown:
            contact_read.setdefault(shown, []).append(f"lecturer:{hit.lecturer_id}")
        shows_engagements = hit.lecturer_id in records
        results.append(
            SearchResult(
                id=hit.lecturer_id,
                name=lecturer.name,
                organisation=lecturer.organisation,
                agency_code=lecturer.agency_code,
                title=lecturer.title,
                expertise=lecturer.expertise,
                categories=[CategoryOut(code=c.code, name=c.name) for c in filed[hit.lecturer_id]],
                score=hit.score,
                biography=lecturer.biography if _shown(lecturer, "biography", role) else None,
                email=email,
                phone=phone,
                last_engaged_on=lecturer.last_engaged_on if shows_engagements else None,
                engagements=(
                    [
                        EngagementBrief(
                            class_name=e.class_name,
                            course_name=e.course_name,
                            held_on=e.held_on,
                            hosting_agency=e.hosting_agency,
                            hours=e.hours,
                        )
                        for e in records[hit.lecturer_id]
                    ]
                    if shows_engagements
                    else None
                ),
                can_message=lecturer.active,
            )
        )
    cursor = None
    if more and hits:
        last = hits[-1]
        cursor = encode_cursor([last.score, last.engaged.isoformat(), last.lecturer_id])
    session.add(
        SearchAudit(
            searcher=who.sub,
            searcher_person_id=who.person_id,
            audience=role.value,
            request_id=who.request_id,
            criteria={k: v for k, v in query.terms.items() if v is not None},
            result_count=len(results),
            more=more,
        )
    )
    # Contact details are personal data: whose were shown is in the read log too.
    for fields, subjects in contact_read.items():
        record_personal_data_read(
            session, personal_data_reads, who, subjects, "search", fields=fields
        )
    session.flush()
    return results, cursor
