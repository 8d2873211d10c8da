"""The catalogue as catalogue officers keep it: an entry is added with its first
version; a change is a new version (the previous one is marked superseded and
kept, since certificates point at it); a retired entry takes no new
registrations or verifications."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.certs.domain.levels import level_code, level_of
from services.certs.models import CatalogueEntry, CatalogueVersion
from services.certs.schemas import (
    CatalogueEntryCreate,
    CatalogueEntryOut,
    CatalogueFields,
    CatalogueVersionOut,
)
from services.certs.store import catalogue as store
from services.common.errors import Conflict, FieldError, Invalid, NotFound
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.timeutil import now_utc

NOT_FOUND = "no such catalogue entry"


def version_out(version: CatalogueVersion) -> CatalogueVersionOut:
    return CatalogueVersionOut.model_validate(version, from_attributes=True)


def entry_out(entry: CatalogueEntry, current: CatalogueVersion) -> CatalogueEntryOut:
    assert entry.id is not None
    return CatalogueEntryOut(
        id=entry.id,
        code=entry.code,
        retired_at=entry.retired_at,
        retired_by=entry.retired_by,
        current=version_out(current),
    )


def _check_window(body: CatalogueFields) -> None:
    if (
        body.recognised_from is not None
        and body.recognised_until is not None
        and body.recognised_until < body.recognised_from
    ):
        raise Invalid(
            "recognition ends before it starts",
            errors=[
                FieldError(
                    field="body.recognised_until",
                    reason="must be on or after recognised_from",
                    code="before_start",
                )
            ],
        )


def _version_row(
    entry_id: int, number: int, body: CatalogueFields, who: Principal
) -> CatalogueVersion:
    fields = body.model_dump(include=set(CatalogueFields.model_fields))
    fields["kind"] = body.kind.value
    fields["sector"] = body.sector.value
    fields["roles"] = [role.value for role in body.roles]
    # The officer's rank; none given: the one the words say (domain/levels.py).
    fields["level_rank"] = (
        body.level_rank.value if body.level_rank is not None else level_code(level_of(body.level))
    )
    return CatalogueVersion(entry_id=entry_id, version=number, **fields, created_by=who.sub)


def _taken() -> Conflict:
    return Conflict(
        "another catalogue entry has this code",
        errors=[FieldError(field="body.code", reason="already in the catalogue", code="taken")],
    )


def add(session: Session, who: Principal, body: CatalogueEntryCreate) -> CatalogueEntryOut:
    _check_window(body)
    if store.entry_by_code(session, body.code) is not None:
        raise _taken()
    entry = CatalogueEntry(code=body.code, created_by=who.sub)
    session.add(entry)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _taken() from None
    assert entry.id is not None
    version = _version_row(entry.id, 1, body, who)
    session.add(version)
    session.flush()
    return entry_out(entry, version)


def change(
    session: Session, who: Principal, entry_id: int, body: CatalogueFields
) -> CatalogueEntryOut:
    """A new version of the entry; what certificates pointed at stays as it was."""
    _check_window(body)
    entry = store.entry(session, entry_id, for_update=True)
    if entry is None:
        raise NotFound(NOT_FOUND)
    if entry.retired_at is not None:
        raise Conflict("a retired catalogue entry cannot change")
    previous = store.current(session, entry_id)
    assert previous is not None and previous.id is not None
    previous.superseded_at = now_utc()
    session.add(previous)
    version = _version_row(entry_id, previous.version + 1, body, who)
    session.add(version)
    session.flush()
    return entry_out(entry, version)


def retire(session: Session, who: Principal, entry_id: int) -> CatalogueEntryOut:
    entry = store.entry(session, entry_id, for_update=True)
    if entry is None:
        raise NotFound(NOT_FOUND)
    if entry.retired_at is not None:
        raise Conflict("the catalogue entry is already retired")
    entry.retired_at = now_utc()
    entry.retired_by = who.sub
    session.add(entry)
    session.flush()
    current = store.current(session, entry_id)
    assert current is not None
    return entry_out(entry, current)


def read(session: Session, entry_id: int) -> CatalogueEntryOut:
    entry = store.entry(session, entry_id)
    current = store.current(session, entry_id) if entry is not None else None
    if entry is None or current is None:
        raise NotFound(NOT_FOUND)
    return entry_out(entry, current)


def page(
    session: Session, params: PageParams, *, include_retired: bool
) -> tuple[list[CatalogueEntryOut], str | None]:
    entries, cursor = store.page(session, params, include_retired=include_retired)
    currents = store.current_of(session, [e.id for e in entries if e.id is not None])
    return [entry_out(e, currents[e.id]) for e in entries if e.id in currents], cursor


def versions(session: Session, entry_id: int) -> list[CatalogueVersionOut]:
    if store.entry(session, entry_id) is None:
        raise NotFound(NOT_FOUND)
    return [version_out(v) for v in store.versions(session, entry_id)]


def read_version(session: Session, version_id: int) -> CatalogueVersionOut:
    version = store.version(session, version_id)
    if version is None:
        raise NotFound("no such catalogue version")
    return version_out(version)
