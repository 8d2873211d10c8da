"""A person's verified certificates with what the talent rules read of them:
the catalogue version's kind, level (words and rank) and entry code, and when it was verified;
and each person's maintained count of valid certificates (staffing)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from services.certs.domain import staffing
from services.certs.domain.talent import Level
from services.certs.domain.workflow import State
from services.certs.models import (
    CatalogueEntry,
    CatalogueVersion,
    Certificate,
    CertificateEvent,
    TalentPerson,
    TalentRoleAssignment,
)
from services.certs.store import catalogue

# Verified ones, and expired ones (valid on a day before they lapsed). A revoked
# certificate counts on no day: the revocation says it should not have.
COUNTED_STATES = (State.VERIFIED.value, State.EXPIRED.value)


class HeldCertificate(NamedTuple):
    id: int
    code: str
    name: str
    kind: str
    level: str  # the issuer's words
    level_rank: str  # the rank the rules compare
    verified_at: datetime
    expires_on: date | None  # the day it lapses (valid through the day before)


def held(session: Session, person_id: str) -> list[HeldCertificate]:
    verified_at = (
        select(
            col(CertificateEvent.certificate_id).label("certificate_id"),
            func.min(col(CertificateEvent.at)).label("at"),
        )
        .where(col(CertificateEvent.to_state) == State.VERIFIED.value)
        .group_by(col(CertificateEvent.certificate_id))
        .subquery()
    )
    rows = session.execute(
        select(
            col(Certificate.id),
            col(CatalogueEntry.code),
            col(CatalogueVersion.name),
            col(CatalogueVersion.kind),
            col(CatalogueVersion.level),
            col(CatalogueVersion.level_rank),
            verified_at.c.at,
            col(Certificate.expires_on),
        )
        .join(CatalogueVersion, col(CatalogueVersion.id) == col(Certificate.catalogue_version_id))
        .join(CatalogueEntry, col(CatalogueEntry.id) == col(CatalogueVersion.entry_id))
        .join(verified_at, verified_at.c.certificate_id == col(Certificate.id))
        .where(
            col(Certificate.person_id) == person_id,
            col(Certificate.state).in_(COUNTED_STATES),
        )
        .order_by(col(Certificate.id))
    )
    return [HeldCertificate(*row) for row in rows]


# ------------------------------------------------ maintained count per person
#
# `talent_persons.valid_certificates` holds how many of the person's
# certificates are valid on each day of [valid_count_from, valid_count_until):
# between those days no certificate of theirs starts or stops being valid, so
# the count is exact there. The registry's writes recount their holders; the
# daily expiry job recounts every row whose span no longer covers the day (a
# certificate lapsing overnight ends the span). A search reads the count only
# when every row's span covers its day (`counts_cover`), and counts otherwise.
# The same recount sets the row's masks and per-role counts (domain/staffing.py)
# and its live roles' bits; a role write recounts its person in its transaction.

FIRST_DAY = date(1, 1, 1)
LAST_DAY = date(9999, 12, 31)
P = TalentPerson


def _counted(c: Any) -> ColumnElement[bool]:
    # `state || ''`, as in store/staffing.py `valid_on`: with the version asked
    # as one (a role one version supports), SQLite 3.40 seeks person, version and
    # `state IN (...)` and then drops the `obtained_on` bound, once ANALYZE finds
    # (version, person) nearly unique.
    return and_(col(c.person_id) == col(P.person_id), col(c.state).concat("").in_(COUNTED_STATES))


def version_bits(session: Session) -> dict[int, int]:
    """Each catalogue version's bits of `valid_mask` (domain/staffing.py)."""
    return {v.id: staffing.version_bits(v) for v in catalogue.version_facts(session)}


def _recount(day: date, bits: dict[int, int]) -> dict[str, Any]:
    c = aliased(Certificate)
    valid = and_(
        col(c.obtained_on) <= day, or_(col(c.expires_on).is_(None), col(c.expires_on) > day)
    )
    # The last day on or before `day` on which a certificate started or stopped
    # being valid, and the first after it (a certificate lapses after it starts).
    changed = case(
        (col(c.expires_on) <= day, col(c.expires_on)),
        (col(c.obtained_on) <= day, col(c.obtained_on)),
    )
    changes = case(
        (col(c.obtained_on) > day, col(c.obtained_on)),
        (col(c.expires_on) > day, col(c.expires_on)),
    )
    of = _counted(c)
    # Neither database has a bitwise OR aggregate: each bit is the max of itself
    # or 0 over the valid certificates, and distinct bits add up to their OR.
    below_entries = (1 << staffing.ENTRY_BIT_BASE) - 1
    by_bit: dict[int, list[int]] = {}
    by_entry_bit: dict[int, list[int]] = {}
    for version_id, version_bits_ in bits.items():
        low = version_bits_ & below_entries
        for n in range(low.bit_length()):
            if low >> n & 1:
                by_bit.setdefault(1 << n, []).append(version_id)
        if entry := version_bits_ & ~below_entries:
            by_entry_bit.setdefault(entry, []).append(version_id)
    mask: ColumnElement[int] = literal(0)
    for bit, ids in sorted(by_bit.items()):
        mask = mask + func.max(
            case((col(c.catalogue_version_id).in_(sorted(ids)), literal(bit)), else_=literal(0))
        )
    if by_entry_bit:
        # A version has one entry, and an entry one bit: the sum of the distinct
        # entry bits of the valid certificates is their OR, in one aggregate
        # rather than one an entry.
        entry_of = case(
            *(
                (col(c.catalogue_version_id).in_(sorted(ids)), literal(bit, BigInteger()))
                for bit, ids in sorted(by_entry_bit.items())
            ),
            else_=literal(0, BigInteger()),
        )
        mask = mask + cast(func.sum(entry_of.distinct()), BigInteger())
    r = aliased(TalentRoleAssignment)
    # One live assignment per person and role: the sum of their bits is their OR.
    role_bit = case(
        *((col(r.role) == role, literal(staffing.role_bit(role))) for role in staffing.ROLE_ORDER),
        else_=literal(0),
    )
    out: dict[str, Any] = {
        "valid_certificates": select(func.count()).where(of, valid).scalar_subquery(),
        "valid_count_from": func.coalesce(
            select(func.max(changed)).where(of).scalar_subquery(), FIRST_DAY
        ),
        "valid_count_until": func.coalesce(
            select(func.min(changes)).where(of).scalar_subquery(), LAST_DAY
        ),
        "valid_mask": func.coalesce(select(mask).where(of, valid).scalar_subquery(), 0),
        "live_roles": func.coalesce(
            select(func.sum(role_bit))
            .where(col(r.person_id) == col(P.person_id), col(r.ended_at).is_(None))
            .scalar_subquery(),
            0,
        ),
    }
    for role in staffing.ROLE_ORDER:
        supporting = sorted(
            v for v, b in bits.items() if any(b & staffing.role_level_bit(role, lv) for lv in Level)
        )
        out[f"valid_for_{role}"] = (
            select(func.count())
            .where(of, valid, col(c.catalogue_version_id).in_(supporting))
            .scalar_subquery()
        )
    return out


def _slot_ranks() -> dict[str, ColumnElement[int]]:
    """Each role's `slot_rank_<role>` (domain/staffing.py `slot_rank`) from the
    row's masks as they stand: set by a second UPDATE after the recount's,
    whose SET sees the masks it writes only once it has written them."""
    table = P.__table__.c  # type: ignore[attr-defined]
    out: dict[str, ColumnElement[int]] = {}
    for role in staffing.ROLE_ORDER:
        best = case(
            *(
                (
                    col(P.valid_mask).op("&")(literal(staffing.role_level_bit(role, level))) != 0,
                    literal(int(level) << staffing.SLOT_RANK_SHIFT, BigInteger()),
                )
                for level in sorted(Level, reverse=True)
            ),
            else_=literal(0, BigInteger()),
        )
        out[f"slot_rank_{role}"] = case(
            (
                col(P.live_roles).op("&")(literal(staffing.role_bit(role))) == 0,
                literal(staffing.NOT_PLAYED, BigInteger()),
            ),
            else_=best + table[f"valid_for_{role}"],
        )
    return out


def _uncovered(day: date) -> ColumnElement[bool]:
    return or_(col(P.valid_count_from) > day, col(P.valid_count_until) <= day)


def recount(
    session: Session, person_ids: Iterable[str], day: date, *, only_uncovered: bool = False
) -> None:
    """Count again the valid certificates of these persons (those with a row in
    `talent_persons`; the others are found by no staffing read); with
    `only_uncovered`, of those whose count's span does not cover `day`."""
    ids = sorted(set(person_ids))
    bits = version_bits(session) if ids else {}
    for start in range(0, len(ids), 500):
        where: list[ColumnElement[bool]] = [col(P.person_id).in_(ids[start : start + 500])]
        if only_uncovered:
            where.append(_uncovered(day))
        # Lock the rows first, in one order: on PostgreSQL an UPDATE that waits
        # for another transaction's lock re-reads only the row itself, its
        # subqueries keep the snapshot taken before the wait, and so would miss
        # the certificate the other transaction just committed. The UPDATE that
        # follows the lock is a new statement, with a snapshot that has it.
        session.execute(
            select(col(P.person_id)).where(*where).order_by(col(P.person_id)).with_for_update()
        )
        session.execute(
            update(P)
            .where(*where)
            .values(**_recount(day, bits))
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(P)
            .where(col(P.person_id).in_(ids[start : start + 500]))
            .values(**_slot_ranks())
            .execution_options(synchronize_session=False)
        )


def recount_uncovered(session: Session, day: date) -> int:
    """Count again every person whose count's span does not cover `day` (a
    certificate lapsed or started since, or a new row): the daily expiry job."""
    bits = version_bits(session)
    result = session.execute(
        update(P)
        .where(_uncovered(day))
        .values(**_recount(day, bits))
        .execution_options(synchronize_session=False)
    )
    # The rows just recounted are covered now and cannot be told by their
    # span: the ranks are set wherever they differ from the masks.
    ranks = _slot_ranks()
    table = P.__table__.c  # type: ignore[attr-defined]
    session.execute(
        update(P)
        .where(or_(*(table[name] != rank for name, rank in ranks.items())))
        .values(**ranks)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def counts_cover(session: Session, day: date) -> bool:
    """Whether every person's maintained count (and masks) is exact on `day`."""
    # Two probes, one per indexed bound, each stopping at the first row.
    for stale in (col(P.valid_count_from) > day, col(P.valid_count_until) <= day):
        if session.scalar(select(literal(1)).where(stale).limit(1)) is not None:
            return False
    return True
