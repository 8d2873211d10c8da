"""The role catalogue: which permissions each role grants.

Roles are data (the `roles` and `role_permissions` tables); this catalogue is
what the migrations produce and what `store.roles.sync_catalogue` restores.
Every change here needs a revision in migrations/directory that writes out the
rows it adds and removes (see a1d0c0000006 and a1d0c0000008); a test checks that
a database migrated to head holds exactly this catalogue. A permission reads
`<service>:<resource>[:<action>][:<scope>]`, the scope being self, unit or
agency; without a scope it reaches every object of its kind.

It stays at the top of the package rather than in `domain/`: it is the seed
data of the `roles` tables more than a rule, and the migration that seeded it
(a1d0c0000004) and the gateway's role-matrix tests import it by this path, so
moving it would rewrite a migration already applied. It is pure all the same
(no HTTP, no database), so the rules in `domain/` may read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

AccountKind = Literal["human", "machine", "service"]
# Accounts no person signs in with: a machine account (an importer) or a
# renshi component's own account (kind service). Both state a purpose, answer
# to an owner in service, must name their source networks and authenticate
# with client secrets; service roles go to service accounts only, so a grant
# meant for a component's jobs cannot be handed to an importer, nor back.
NON_HUMAN_KINDS = frozenset({"machine", "service"})
SCOPES = ("self", "unit", "agency")
PERMISSION_PATTERN = re.compile(r"^[a-z]+(:[a-z_-]+){1,2}(:(self|unit|agency))?$")
AUDITED_SERVICES = ("directory", "training", "certs", "attendance", "speakers", "gateway")


@dataclass(frozen=True)
class StoredRole:
    """A role as the database holds it now (the catalogue is only its seed)."""

    name: str
    account_kind: str
    permissions: frozenset[str]


@dataclass(frozen=True)
class RoleSpec:
    name: str
    kind: AccountKind
    description: str
    permissions: tuple[str, ...]


IMPORTER_ROLE_PREFIX = "importer_"
# The role of a service's own account `svc.<service>`: `service_<service>`.
SERVICE_ROLE_PREFIX = "service_"


def importer_role(source: str) -> RoleSpec:
    """The role of a machine account importing learning records from `source`.

    Training binds each importer to its platform (`training:imports:<source>`), so
    a per-source grant is a role per source: an account's roles say which
    platforms it may write for, and granting or withdrawing one is an ordinary
    role change that the account review sees. Training asks the directory, on the
    importer's behalf, where a person it has not seen works (`GET /persons/{id}`);
    `directory:persons:read:agency` is the narrowest grant that answers it, and
    only within the account's agency scope (each such read is audited). For rows
    that name a person by national ID it also asks which person holds each number
    (`POST /persons/match`, service-only), again within the agency scope."""
    return RoleSpec(
        f"{IMPORTER_ROLE_PREFIX}{source.replace('-', '_')}",
        "machine",
        f"Batch importer of learning records from source {source}",
        (
            f"training:imports:{source}",
            "directory:persons:read:agency",
            "directory:persons:match:agency",
        ),
    )


CATALOGUE: tuple[RoleSpec, ...] = (
    RoleSpec(
        "employee",
        "human",
        "同仁: one's own records",
        (
            "directory:persons:read:self",
            "training:records:read:self",
            "certs:catalogue:read",
            "certs:certificates:read:self",
            "certs:certificates:submit:self",
            "certs:talent:read:self",
            "attendance:records:read:self",
            "attendance:overtime:request:self",
            "attendance:comp:request:self",
        ),
    ),
    RoleSpec(
        "unit_supervisor",
        "human",
        "單位主管: the records of one's unit",
        (
            "directory:persons:read:unit",
            "training:records:read:unit",
            "attendance:records:read:unit",
            "attendance:overtime:approve:unit",
            "attendance:comp:approve:unit",
        ),
    ),
    RoleSpec(
        "hr_officer",
        "human",
        "人事人員: personnel records of the agencies in scope",
        (
            "directory:agencies:read:agency",
            "directory:units:write:agency",
            "directory:persons:read:agency",
            "directory:persons:write:agency",
            "training:records:read:agency",
            "training:records:write:agency",
            "certs:catalogue:read",
            "certs:certificates:read:agency",
            "certs:certificates:write:agency",
            "certs:warnings:read:agency",
            "certs:warnings:write:agency",
            "certs:talent:read:agency",
            "certs:talent:write:agency",
            "certs:staffing:read:agency",
            "certs:points:write:agency",
            "attendance:records:read:agency",
            "attendance:records:write:agency",
            "attendance:overtime:request:agency",
            "attendance:comp:transfer:agency",
            "attendance:policy:read:agency",
            "attendance:policy:write:agency",
            "attendance:reports:read:agency",
            "attendance:settlement:read:agency",
        ),
    ),
    RoleSpec(
        "training_officer",
        "human",
        "訓練承辦人: classes, training records, lecturers",
        (
            "directory:agencies:read:agency",
            "directory:persons:read:agency",
            "training:records:read:agency",
            "training:records:write:agency",
            "training:classes:write:agency",
            # The lecturer directory is shared by every agency: lecturers are not
            # any one agency's objects, so the grant carries no scope.
            "speakers:lecturers:write",
            "speakers:search",
            # Authorising persons of the agency to search (授權查詢人員): a
            # search grant in the directory, within the agency type's quota,
            # gives them `speakers:search`; no role does (revision a1d0c0000014
            # retired the hand-given lecturer_searcher role).
            "speakers:searchers:grant:agency",
            "speakers:engagements:write:agency",
        ),
    ),
    RoleSpec(
        "lecturer",
        "human",
        "講座: one's own lecturer profile",
        (
            "speakers:profile:read:self",
            "speakers:profile:write:self",
        ),
    ),
    # Keeps the catalogue of recognised certificates (a central office's task):
    # reads no one's certificates.
    RoleSpec(
        "certs_catalogue_officer",
        "human",
        "證照目錄管理: the catalogue of recognised AI certificates",
        ("certs:catalogue:read", "certs:catalogue:write"),
    ),
    RoleSpec(
        "security_auditor",
        "human",
        "Security auditor: audit logs and account reviews",
        (
            *(f"{service}:audit:read" for service in AUDITED_SERVICES),
            "directory:accounts:read",
            "directory:reviews:read",
        ),
    ),
    # Decides, account by account, whether each should keep its roles and exist at
    # all (帳號權限妥適性及帳號留存必要性); cannot also administer accounts.
    RoleSpec(
        "account_reviewer",
        "human",
        "帳號審查人員: reviews the accounts of the agencies in scope",
        (
            "directory:reviews:read:agency",
            "directory:reviews:write:agency",
        ),
    ),
    # Separation of duties: administers accounts and agencies, reads no one's records.
    RoleSpec(
        "system_admin",
        "human",
        "System administrator: accounts and agencies only",
        (
            "directory:agencies:read",
            "directory:agencies:write",
            "directory:units:write",
            "directory:accounts:read",
            "directory:accounts:write",
        ),
    ),
    # Imports bound to no platform: personnel into the directory, the roster and
    # attendance records into attendance, each within the account's agency scope.
    RoleSpec(
        "importer",
        "machine",
        "Batch importer of personnel and attendance records",
        (
            "directory:persons:import",
            "attendance:roster:import",
            "attendance:records:import",
        ),
    ),
    # Certificates in bulk (an issuer's or a platform's list), registered as
    # submitted within the account's agency scope for HR officers to verify.
    RoleSpec(
        "certs_importer",
        "machine",
        "Batch importer of certificates",
        ("certs:catalogue:read", "certs:certificates:import"),
    ),
    # Learning records are imported per platform: one role per source.
    importer_role("elearn"),
    # The academy's lecturer database (公務人力發展學院) feeding the shared
    # lecturer directory: lecturers and engagement records in bulk. Unscoped
    # like the directory itself, which is no one agency's; nothing else.
    RoleSpec(
        "lecturer_importer",
        "machine",
        "Batch importer of lecturers and engagement records into the lecturer directory",
        ("speakers:import",),
    ),
    RoleSpec(
        "service",
        "service",
        "A renshi component (the gateway) resolving principals",
        ("directory:principals:resolve",),
    ),
    # The training service's own jobs (account svc.training): the nightly
    # roster sync lists every agency and reads each one's persons in service.
    # `directory:persons:roster` reaches only id and unit of persons in
    # service, never names or contact details, and no person's full record
    # (`directory:persons:read` would give both); unscoped, because the job
    # serves every agency. The gateway's peer policy (gateway/policies/peers.py)
    # bounds the account further to the operations its jobs call. Its queued
    # learning-record imports match persons (`directory:persons:import_match`)
    # for their importer, within the importer's own reach and agencies.
    RoleSpec(
        f"{SERVICE_ROLE_PREFIX}training",
        "service",
        "The training service's jobs: every agency's roster from the directory",
        (
            "directory:agencies:read",
            "directory:persons:roster",
            "directory:persons:import_match",
        ),
    ),
    # The certs service's jobs (account svc.certs): the nightly pull of every
    # person's AI hours changed since its last run. Training serves the feed to
    # this account alone (it checks the account as well as the permission), and
    # the gateway's peer policy bounds the account to that one operation.
    RoleSpec(
        f"{SERVICE_ROLE_PREFIX}certs",
        "service",
        "The certs service's jobs: every person's AI hours from training",
        ("training:ai_hours:read",),
    ),
)


def catalogue_by_name() -> dict[str, RoleSpec]:
    return {role.name: role for role in CATALOGUE}


def role_rows() -> list[dict[str, str]]:
    return [
        {"name": r.name, "account_kind": r.kind, "description": r.description} for r in CATALOGUE
    ]


def permission_rows() -> list[dict[str, str]]:
    return [{"role": r.name, "permission": p} for r in CATALOGUE for p in r.permissions]


def is_personal_read(permission: str) -> bool:
    # A roster lists who works where: personal data too, if less of it.
    return permission.startswith(("directory:persons:read", "directory:persons:roster"))


def is_audit(permission: str) -> bool:
    return permission.split(":")[1:3] == ["audit", "read"]


def duty_conflicts(permissions: set[str]) -> list[str]:
    """Why one account may not hold these permissions together (empty when fine).

    Whoever grants accounts must neither read personal records (they could grant
    themselves the rest), nor audit, nor review accounts: either way they would
    be judging their own grants."""
    if not any(grants_family(p, "directory:accounts:write") for p in permissions):
        return []
    reasons = []
    if any(is_personal_read(p) for p in permissions):
        reasons.append("account administration cannot be combined with reading persons")
    if any(is_audit(p) for p in permissions):
        reasons.append("account administration cannot be combined with auditing")
    if any(grants_family(p, "directory:reviews:write") for p in permissions):
        reasons.append("account administration cannot be combined with reviewing accounts")
    return reasons


def grants_family(permission: str, family: str) -> bool:
    """`permission` is `family` itself or `family` narrowed further
    (`training:records:read:agency` grants `training:records:read`): the
    gateway's own rule for letting a request through."""
    return permission == family or permission.startswith(family + ":")
