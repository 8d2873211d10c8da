"""Staffing: each person's live roles and valid certificates as bits

Revision ID: c3d0c0170009
Revises: c3d0c0160008
Create Date: 2026-12-03

A filtered search's total and counts per agency, and a team slot's candidates,
tested per person "a live role of these" and "a certificate of these versions
valid on the day" with EXISTS against `talent_roles` and `certificates`, for
every person of the scope (issue 10, item 8). `talent_persons` now keeps, over
the same span as `valid_certificates` (recounted by the same writes and the
daily expiry job), `live_roles` (a bit per live role), `valid_mask` (a bit per
(kind, level) and per (supported role, level) of the valid certificates,
services/certs/domain/staffing.py) and `valid_for_<role>` (how many valid
certificates support the role), so those tests are column tests on the person's
row. A row whose span does not cover the day asked is read as before.

The backfill recounts every row for the Taipei day of the upgrade, with the bit
layout of this revision written out here (a catalogue version never changes, so
its bits do not either).
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0170009"
down_revision: str | None = "c3d0c0160008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("policy", "application", "development", "research")
KINDS = ("literacy", "tool", "project_planning", "project_technical")
COLUMNS = ("live_roles", "valid_mask", *(f"valid_for_{role}" for role in ROLES))
# services/certs/domain/levels.py as of this revision: the first group naming a
# word of the level wins; none: basic.
LEVEL_WORDS = (
    (3, ("professional", "advanced", "expert", "高級", "專業")),
    (2, ("intermediate", "associate", "planning", "中級")),
    (1, ("basic", "fundamental", "foundational", "core", "初級", "基礎")),
)


def _level(text: str) -> int:
    words = text.casefold()
    for level, names in LEVEL_WORDS:
        if any(name in words for name in names):
            return level
    return 1


def _bits(kind: str, level: int, roles: list[str]) -> int:
    out = 1 << (KINDS.index(kind) * 3 + level - 1) if kind in KINDS else 0
    for role in roles:
        if role in ROLES:
            out |= 1 << (12 + ROLES.index(role) * 3 + level - 1)
    return out


P = sa.table(
    "talent_persons",
    sa.column("person_id"),
    *(sa.column(name) for name in ("valid_certificates", "valid_count_from", "valid_count_until")),
    *(sa.column(name) for name in COLUMNS),
)
C = sa.table(
    "certificates",
    sa.column("person_id"),
    sa.column("catalogue_version_id"),
    sa.column("state"),
    sa.column("obtained_on"),
    sa.column("expires_on"),
)
R = sa.table("talent_roles", sa.column("person_id"), sa.column("role"), sa.column("ended_at"))
V = sa.table("catalogue_versions", sa.column("id"), sa.column("kind"), sa.column("level"))


def _values(day: date, bits: dict[int, int]) -> dict[str, Any]:
    of = sa.and_(C.c.person_id == P.c.person_id, C.c.state.in_(("verified", "expired")))
    valid = sa.and_(C.c.obtained_on <= day, sa.or_(C.c.expires_on.is_(None), C.c.expires_on > day))
    changed = sa.case(
        (C.c.expires_on <= day, C.c.expires_on), (C.c.obtained_on <= day, C.c.obtained_on)
    )
    changes = sa.case(
        (C.c.obtained_on > day, C.c.obtained_on), (C.c.expires_on > day, C.c.expires_on)
    )
    mask: Any = sa.literal(0)
    for n in range(24):
        ids = sorted(v for v, b in bits.items() if b >> n & 1)
        if ids:
            mask = mask + sa.func.max(sa.case((C.c.catalogue_version_id.in_(ids), 1 << n), else_=0))
    role_bit = sa.case(*((R.c.role == r, 1 << i) for i, r in enumerate(ROLES)), else_=0)
    out: dict[str, Any] = {
        "valid_certificates": sa.select(sa.func.count()).where(of, valid).scalar_subquery(),
        "valid_count_from": sa.func.coalesce(
            sa.select(sa.func.max(changed)).where(of).scalar_subquery(),
            sa.literal(date(1, 1, 1), sa.Date()),
        ),
        "valid_count_until": sa.func.coalesce(
            sa.select(sa.func.min(changes)).where(of).scalar_subquery(),
            sa.literal(date(9999, 12, 31), sa.Date()),
        ),
        "valid_mask": sa.func.coalesce(sa.select(mask).where(of, valid).scalar_subquery(), 0),
        "live_roles": sa.func.coalesce(
            sa.select(sa.func.sum(role_bit))
            .where(R.c.person_id == P.c.person_id, R.c.ended_at.is_(None))
            .scalar_subquery(),
            0,
        ),
    }
    for i, role in enumerate(ROLES):
        supporting = sorted(v for v, b in bits.items() if b >> (12 + i * 3) & 0b111)
        out[f"valid_for_{role}"] = (
            sa.select(sa.func.count())
            .where(of, valid, C.c.catalogue_version_id.in_(supporting))
            .scalar_subquery()
        )
    return out


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column(
            "talent_persons",
            sa.Column(name, sa.Integer(), nullable=False, server_default="0"),
        )
    bind = op.get_bind()
    bits = {
        int(i): _bits(str(kind), _level(str(level)), list(roles or ()))
        for i, kind, level, roles in bind.execute(
            sa.select(
                sa.column("id"),
                sa.column("kind"),
                sa.column("level"),
                sa.column("roles", sa.JSON()),
            ).select_from(sa.table("catalogue_versions"))
        )
    }
    day = datetime.now(UTC).astimezone(ZoneInfo("Asia/Taipei")).date()
    bind.execute(sa.update(P).values(**_values(day, bits)))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("talent_persons", name)
