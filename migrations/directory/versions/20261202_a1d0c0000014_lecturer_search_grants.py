"""lecturer search grants: delegated search within agency-type quotas; the hand-given role retired

Revision ID: a1d0c0000014
Revises: a1d0c0000011
Create Date: 2026-12-02

A training officer authorises persons of their agency to search the lecturer
directory (授權查詢人員) within the quota of the agency's type: 20 for a
competent authority, 10 for a subordinate agency or a training institution,
none for a school (the policy names none). `search_grant_places` holds the
row each grant of an agency locks before counting its places.

`speakers:search` now comes from a grant, never from a hand-given role: the
role `lecturer_searcher` goes. Its holders whose account is a human one in use
by a person in service keep searching through a grant made by this revision
(granted_by `migration-a1d0c0000014`), ending 90 Taipei days after it runs,
for the training officer to confirm or revoke, as far as their agency's quota
holds (in account-name order); anyone already searching by another role (a
training officer) or beyond the quota just loses the role. Revision
a1d0c0000004 seeds whatever the catalogue holds when it runs, so a fresh
database never had the role: upgrade checks first. Downgrade gives the role
back to every account holding an active grant, then drops the tables.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000014"
down_revision: str | None = "a1d0c0000011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "lecturer_searcher"
ROLE_DESCRIPTION = "授權查詢人員: may search the lecturer directory"
PERMISSION = "speakers:search"
MIGRATED_BY = "migration-a1d0c0000014"
MIGRATED_TERM_DAYS = 90
MIGRATED_REASON = "role lecturer_searcher retired: search comes from a grant"
QUOTAS = (
    ("competent_authority", 20),
    ("subordinate", 10),
    ("training_institution", 10),
    ("school", 0),
)

roles = sa.table(
    "roles",
    sa.column("name", sa.String),
    sa.column("account_kind", sa.String),
    sa.column("description", sa.String),
)
role_permissions = sa.table(
    "role_permissions", sa.column("role", sa.String), sa.column("permission", sa.String)
)
account_roles = sa.table(
    "account_roles",
    sa.column("account", sa.String),
    sa.column("role", sa.String),
    sa.column("granted_on", sa.Date),
)
role_usage = sa.table("role_usage", sa.column("account", sa.String), sa.column("role", sa.String))
accounts = sa.table(
    "accounts",
    sa.column("name", sa.String),
    sa.column("kind", sa.String),
    sa.column("status", sa.String),
    sa.column("person_id", sa.String),
)
persons = sa.table(
    "persons",
    sa.column("id", sa.String),
    sa.column("agency_code", sa.String),
    sa.column("status", sa.String),
)
agencies = sa.table("agencies", sa.column("code", sa.String), sa.column("type", sa.String))


def _create_tables() -> None:
    op.add_column("account_review_items", sa.Column("search_grant", sa.JSON(), nullable=True))
    quotas = op.create_table(
        "search_grant_quotas",
        sa.Column("agency_type", sa.String(length=32), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "agency_type IN ('competent_authority', 'subordinate', 'training_institution', "
            "'school')",
            name=op.f("ck_search_grant_quotas_agency_type"),
        ),
        sa.CheckConstraint("quota >= 0", name=op.f("ck_search_grant_quotas_quota_not_negative")),
        sa.PrimaryKeyConstraint("agency_type", name=op.f("pk_search_grant_quotas")),
    )
    op.bulk_insert(quotas, [{"agency_type": t, "quota": q} for t, q in QUOTAS])
    op.create_table(
        "search_grant_places",
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agencies.code"],
            name=op.f("fk_search_grant_places_agency_code_agencies"),
        ),
        sa.PrimaryKeyConstraint("agency_code", name=op.f("pk_search_grant_places")),
    )
    op.create_table(
        "search_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("grantee_account", sa.String(length=64), nullable=False),
        sa.Column("grantee_person_id", sa.String(length=64), nullable=False),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoked_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "(revoked_at IS NULL AND revoked_by IS NULL AND revoked_reason IS NULL)"
            " OR (revoked_at IS NOT NULL AND revoked_by IS NOT NULL"
            " AND revoked_reason IS NOT NULL)",
            name=op.f("ck_search_grants_revoked_with_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_search_grants_agency_code_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["grantee_account"],
            ["accounts.name"],
            name=op.f("fk_search_grants_grantee_account_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["grantee_person_id"],
            ["persons.id"],
            name=op.f("fk_search_grants_grantee_person_id_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_grants")),
    )
    op.create_index(op.f("ix_search_grants_grantee_account"), "search_grants", ["grantee_account"])
    op.create_index("ix_search_grants_agency_ends_on", "search_grants", ["agency_code", "ends_on"])


def _migrate_holders(conn: sa.Connection) -> None:
    """Holders of the retired role keep searching through a grant, as far as
    the grant rules and their agency's quota allow."""
    holders = conn.execute(
        sa.select(accounts.c.name, accounts.c.person_id, persons.c.agency_code, agencies.c.type)
        .select_from(
            account_roles.join(accounts, accounts.c.name == account_roles.c.account)
            .join(persons, persons.c.id == accounts.c.person_id)
            .join(agencies, agencies.c.code == persons.c.agency_code)
        )
        .where(
            account_roles.c.role == ROLE,
            accounts.c.kind == "human",
            accounts.c.status == "active",
            persons.c.status == "active",
        )
        .order_by(accounts.c.name)
    ).all()
    # Already searching by another role (a training officer): needs no grant.
    by_role = set(
        conn.execute(
            sa.select(account_roles.c.account)
            .join(role_permissions, role_permissions.c.role == account_roles.c.role)
            .where(role_permissions.c.permission == PERMISSION, account_roles.c.role != ROLE)
        ).scalars()
    )
    now = datetime.now(UTC)
    ends_on = now.astimezone(ZoneInfo("Asia/Taipei")).date() + timedelta(days=MIGRATED_TERM_DAYS)
    quota = dict(QUOTAS)
    used: dict[str, int] = {}
    grants = sa.table(
        "search_grants",
        sa.column("agency_code", sa.String),
        sa.column("grantee_account", sa.String),
        sa.column("grantee_person_id", sa.String),
        sa.column("granted_by", sa.String),
        sa.column("granted_at", sa.DateTime(timezone=True)),
        sa.column("ends_on", sa.Date),
    )
    places = sa.table(
        "search_grant_places",
        sa.column("agency_code", sa.String),
        sa.column("changed_at", sa.DateTime(timezone=True)),
    )
    for name, person_id, agency_code, agency_type in holders:
        if name in by_role or used.get(agency_code, 0) >= quota.get(agency_type, 0):
            continue
        if agency_code not in used:
            conn.execute(sa.insert(places).values(agency_code=agency_code, changed_at=now))
        used[agency_code] = used.get(agency_code, 0) + 1
        conn.execute(
            sa.insert(grants).values(
                agency_code=agency_code,
                grantee_account=name,
                grantee_person_id=person_id,
                granted_by=MIGRATED_BY,
                granted_at=now,
                ends_on=ends_on,
            )
        )


def upgrade() -> None:
    _create_tables()
    conn = op.get_bind()
    if conn.execute(sa.select(roles.c.name).where(roles.c.name == ROLE)).first() is None:
        return
    _migrate_holders(conn)
    conn.execute(sa.delete(role_usage).where(role_usage.c.role == ROLE))
    conn.execute(sa.delete(account_roles).where(account_roles.c.role == ROLE))
    conn.execute(sa.delete(role_permissions).where(role_permissions.c.role == ROLE))
    conn.execute(sa.delete(roles).where(roles.c.name == ROLE))


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(
        sa.insert(roles).values(name=ROLE, account_kind="human", description=ROLE_DESCRIPTION)
    )
    conn.execute(sa.insert(role_permissions).values(role=ROLE, permission=PERMISSION))
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Taipei")).date()
    holders = conn.execute(
        sa.text(
            "SELECT DISTINCT grantee_account FROM search_grants"
            " WHERE revoked_at IS NULL AND ends_on >= :today ORDER BY grantee_account"
        ),
        {"today": today},
    ).scalars()
    for name in list(holders):
        conn.execute(sa.insert(account_roles).values(account=name, role=ROLE, granted_on=today))
    op.drop_index("ix_search_grants_agency_ends_on", table_name="search_grants")
    op.drop_index(op.f("ix_search_grants_grantee_account"), table_name="search_grants")
    op.drop_table("search_grants")
    op.drop_table("search_grant_places")
    op.drop_table("search_grant_quotas")
    op.drop_column("account_review_items", "search_grant")
