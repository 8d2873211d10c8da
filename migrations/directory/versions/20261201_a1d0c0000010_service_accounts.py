"""service accounts: renshi's own components get a kind of account of their own

Revision ID: a1d0c0000010
Revises: a1d0c0000009
Create Date: 2026-12-01

Accounts and roles may be of kind `service`: the account of a renshi component
(the gateway, `svc.<service>` for each service's jobs). The role `service`, the
gateway's, becomes a service role, and the machine accounts holding it service
accounts (no other account could hold it: a role goes to accounts of its own
kind). The training service's jobs get their role, `service_training`.

Widening a CHECK constraint on SQLite would mean copying the tables, which the
foreign keys pointing at them forbid while they are enforced (and they cannot
be switched off inside the migration's transaction); SQLite documents editing
the stored table definition for changes that no existing row can violate
(https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table
Schema Changes"), which is what widening is. Downgrade first makes every row
fit the narrower constraint, then narrows it the same way.

The rows are written out here, not read from services/directory/roles.py, so
that this revision keeps meaning the same change however the catalogue moves on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000010"
down_revision: str | None = "a1d0c0000009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, constraint, column
CHECKS = (
    ("accounts", "ck_accounts_kind", "kind"),
    ("roles", "ck_roles_account_kind", "account_kind"),
)
BEFORE = ("human", "machine")
AFTER = ("human", "machine", "service")
GATEWAY_ROLE = ("service", "A renshi component (the gateway) resolving principals")
# name, description, permissions
NEW_ROLES = (
    (
        "service_training",
        "The training service's jobs: every agency's roster from the directory",
        ("directory:agencies:read", "directory:persons:roster"),
    ),
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
accounts = sa.table("accounts", sa.column("name", sa.String), sa.column("kind", sa.String))
account_roles = sa.table(
    "account_roles", sa.column("account", sa.String), sa.column("role", sa.String)
)


def _in_list(column: str, kinds: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(k) for k in kinds)})"


def _set_check(table: str, name: str, column: str, old: str, new: str) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, new)
        return
    # SQLite keeps the CREATE TABLE text; the new text is read at the next
    # statement once the schema version moves on.
    before = f"CONSTRAINT {name} CHECK ({old})"
    after = f"CONSTRAINT {name} CHECK ({new})"
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema=ON")
    try:
        changed = conn.execute(
            sa.text(
                "UPDATE sqlite_master SET sql = replace(sql, :before, :after)"
                " WHERE type = 'table' AND name = :table AND instr(sql, :before) > 0"
            ),
            {"before": before, "after": after, "table": table},
        ).rowcount
        if changed != 1:
            raise RuntimeError(f"{table}: constraint {name} is not {old!r}")
        conn.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema=OFF")


def _role_exists(conn: sa.Connection, name: str) -> bool:
    return conn.execute(sa.select(roles.c.name).where(roles.c.name == name)).first() is not None


def _grant(conn: sa.Connection, role: str, permission: str) -> None:
    found = conn.execute(
        sa.select(role_permissions.c.role).where(
            role_permissions.c.role == role, role_permissions.c.permission == permission
        )
    ).first()
    if found is None:
        conn.execute(sa.insert(role_permissions).values(role=role, permission=permission))


def upgrade() -> None:
    for table, name, column in CHECKS:
        _set_check(table, name, column, _in_list(column, BEFORE), _in_list(column, AFTER))
    conn = op.get_bind()
    # a1d0c0000004 seeds the catalogue as it stands and leaves out service roles
    # on a fresh database: the gateway's role may be missing here.
    role, description = GATEWAY_ROLE
    if _role_exists(conn, role):
        conn.execute(sa.update(roles).where(roles.c.name == role).values(account_kind="service"))
    else:
        conn.execute(
            sa.insert(roles).values(name=role, account_kind="service", description=description)
        )
    _grant(conn, role, "directory:principals:resolve")
    holders = sa.select(account_roles.c.account).where(account_roles.c.role == role)
    conn.execute(sa.update(accounts).where(accounts.c.name.in_(holders)).values(kind="service"))
    for name, description, permissions in NEW_ROLES:
        if not _role_exists(conn, name):
            conn.execute(
                sa.insert(roles).values(name=name, account_kind="service", description=description)
            )
        for permission in permissions:
            _grant(conn, name, permission)


def downgrade() -> None:
    conn = op.get_bind()
    # The new roles go; accounts holding them lose the grant (their record of
    # use goes with it, ON DELETE CASCADE).
    for name, _description, _permissions in NEW_ROLES:
        conn.execute(sa.delete(account_roles).where(account_roles.c.role == name))
        conn.execute(sa.delete(role_permissions).where(role_permissions.c.role == name))
        conn.execute(sa.delete(roles).where(roles.c.name == name))
    # Service accounts become the machine accounts they were (or, the services'
    # own, machine accounts holding no role), so that no row breaks the
    # narrower constraint and none of their history is lost.
    conn.execute(
        sa.update(roles).where(roles.c.account_kind == "service").values(account_kind="machine")
    )
    conn.execute(sa.update(accounts).where(accounts.c.kind == "service").values(kind="machine"))
    for table, name, column in CHECKS:
        _set_check(table, name, column, _in_list(column, AFTER), _in_list(column, BEFORE))
