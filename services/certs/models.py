"""Tables of the certs database, on a metadata no other service shares.

The catalogue is versioned: an entry (`catalogue_entries`) keeps its code, and
each change of what it says is a new `catalogue_versions` row; a certificate
points at the version it was registered against, which is never rewritten.
Certificates are never deleted or overwritten: a decision is a state change
with its event (`certificate_events`), a renewal a new row linked to the old.
"""

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from services.certs.domain.catalogue import Kind, Sector
from services.certs.domain.levels import LEVEL_CODES
from services.certs.domain.staffing import ROLE_ORDER
from services.certs.domain.talent import TalentRole
from services.certs.domain.workflow import State
from services.common.audit import personal_data_reads_table
from services.common.columns import one_of, utc_column
from services.common.db import new_registry
from services.common.importing.model import StoredImportError, StoredImportJob
from services.common.notices import StoredNotice
from services.common.timeutil import now_utc

_registry = new_registry()
metadata = _registry.metadata

KINDS = tuple(k.value for k in Kind)
SECTORS = tuple(s.value for s in Sector)
STATES = tuple(s.value for s in State)
SOURCES = ("submitted", "imported")
TALENT_ROLES = tuple(r.value for r in TalentRole)
# The lead-time row every agency without one of its own uses.
DEFAULT_AGENCY = "*"


class CertsTable(SQLModel, registry=_registry):
    """Base class of every certs table."""


class CatalogueEntry(CertsTable, table=True):
    """A recognised certificate, by a code that stays while its versions change."""

    __tablename__ = "catalogue_entries"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    # Set when a catalogue officer retires the entry: no new registration or
    # verification against any of its versions.
    retired_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    retired_by: str | None = Field(default=None, max_length=128)


class CatalogueVersion(CertsTable, table=True):
    """What an entry says from one change to the next. The latest version of an
    entry is its current one; older ones are superseded but kept, since
    certificates point at them."""

    __tablename__ = "catalogue_versions"
    __table_args__ = (
        UniqueConstraint("entry_id", "version"),
        one_of("kind", KINDS),
        one_of("sector", SECTORS),
        one_of("level_rank", LEVEL_CODES),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="catalogue_entries.id", index=True)
    version: int
    name: str = Field(max_length=200)
    issuer: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    # The level in the issuer's words, and the rank the rules compare (basic,
    # intermediate, advanced): every reader uses the rank (domain/levels.py).
    level: str = Field(max_length=64)
    level_rank: str = Field(max_length=16)
    # The talent roles the certificate supports (TalentRole values, sorted).
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # None: the certificate does not lapse, or its issuer publishes no validity
    # (validity_note says which).
    validity_months: int | None = Field(default=None)
    validity_note: str | None = Field(default=None, max_length=300)
    sector: str = Field(max_length=16)
    # None: announced but not recognised yet (a planned certificate).
    recognised_from: date | None = Field(default=None)
    recognised_until: date | None = Field(default=None)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    superseded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Certificate(CertsTable, table=True):
    """One certificate of one person against one catalogue version."""

    __tablename__ = "certificates"
    __table_args__ = (
        one_of("state", STATES),
        one_of("source", SOURCES),
        # Issuer and number name one certificate (imports are idempotent by them);
        # a rejected row frees them for a corrected submission.
        Index(
            "uq_certificates_issuer_number_live",
            "issuer",
            "certificate_number",
            unique=True,
            sqlite_where=text("state != 'rejected'"),
            postgresql_where=text("state != 'rejected'"),
        ),
        # Staffing reads "a certificate of these versions valid on the day" by
        # person and by version from these alone (migration c3d0c0140007).
        Index(
            "ix_certificates_person_version_valid",
            "person_id",
            "catalogue_version_id",
            "state",
            "obtained_on",
            "expires_on",
        ),
        Index(
            "ix_certificates_version_person_valid",
            "catalogue_version_id",
            "person_id",
            "state",
            "obtained_on",
            "expires_on",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(index=True, max_length=64)
    # The holder's agency when registered: whose HR officers verify it.
    agency_code: str = Field(index=True, max_length=16)
    catalogue_version_id: int = Field(foreign_key="catalogue_versions.id", index=True)
    issuer: str = Field(max_length=200)
    certificate_number: str = Field(max_length=100)
    obtained_on: date
    expires_on: date | None = Field(default=None, index=True)
    state: str = Field(max_length=16, index=True)
    source: str = Field(max_length=16)
    previous_id: int | None = Field(default=None, foreign_key="certificates.id", index=True)
    registered_by: str = Field(max_length=128)
    registered_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reason: str | None = Field(default=None, max_length=500)
    # The evidence file, stored content-addressed under CERTS_STORAGE_DIR.
    evidence_sha256: str | None = Field(default=None, max_length=64)
    evidence_media_type: str | None = Field(default=None, max_length=32)
    evidence_bytes: int | None = Field(default=None)


class CertificateEvent(CertsTable, table=True):
    """One transition of a certificate: who, when, from which state, why."""

    __tablename__ = "certificate_events"

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificates.id", index=True)
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str = Field(max_length=16)
    actor: str = Field(max_length=128)
    at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    reason: str | None = Field(default=None, max_length=500)


class WarningLeadTimes(CertsTable, table=True):
    """How many days before expiry an agency's holders are warned; the row of
    agency `*` is the default."""

    __tablename__ = "warning_lead_times"

    agency_code: str = Field(primary_key=True, max_length=16)
    lead_days: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(max_length=128)
    updated_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class Notice(CertsTable, StoredNotice, table=True):
    """An expiry warning to a holder, read at `/me/notices` and delivered by the
    kernel's notice delivery."""

    __tablename__ = "notices"

    agency_code: str = Field(max_length=16)
    certificate_id: int = Field(foreign_key="certificates.id", index=True)


class JobRun(CertsTable, table=True):
    """One row per job per Taipei day: the claim that makes one replica run it."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    day: date
    status: str = Field(max_length=16)
    started_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    summary: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON))


# --- AI talent: who holds which role, where they work, their AI hours ---------


def _slot_rank_column() -> Column[int]:
    return Column(BigInteger(), nullable=False, server_default="-1")


class TalentPerson(CertsTable, table=True):
    """Where a person works, as the training roster last said (copied by the
    nightly AI-hours pull): staffing search filters by agency and unit without
    asking the directory per person."""

    __tablename__ = "talent_persons"
    # Persons of an agency with their unit, from the index alone (staffing).
    __table_args__ = (
        Index("ix_talent_persons_agency_person_unit", "agency_code", "person_id", "unit_id"),
        # Counts per agency under role, kind, level and AI-hours filters, from
        # the index alone (migration c3d0c0190011).
        Index(
            "ix_talent_persons_agency_masks",
            "agency_code",
            "live_roles",
            "valid_mask",
            "unit_id",
            "hours_year",
            "hours_centi",
        ),
        # The same counts under a unit filter, from the unit's entries alone.
        Index(
            "ix_talent_persons_unit_counts",
            "unit_id",
            "agency_code",
            "live_roles",
            "valid_mask",
            "hours_year",
            "hours_centi",
        ),
        # The search sorted by certificates reads this index backwards until a
        # page is full (migration c3d0c0160008). Ascending: SQLite's reflection
        # drops DESC, and both databases sort ties by person id as they go.
        # A team slot reads a role's holders along its index from the top rank
        # down, the scope and hours tested on the entries (c3d0c0200012).
        *(
            Index(
                f"ix_talent_persons_slot_{role}",
                f"slot_rank_{role}",
                "agency_code",
                "hours_year",
                "hours_centi",
                "person_id",
            )
            for role in ROLE_ORDER
        ),
        Index(
            "ix_talent_persons_certificates_order",
            "valid_certificates",
            "person_id",
            "agency_code",
            "unit_id",
        ),
    )

    person_id: str = Field(primary_key=True, max_length=64)
    agency_code: str = Field(max_length=16, index=True)
    unit_id: str = Field(default="", max_length=32)
    # When the place was last written: the pull leaves an unchanged place alone.
    refreshed_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    # How many of the person's certificates are valid on each day from
    # `valid_count_from` to the day before `valid_count_until`, as the registry's
    # writes and the daily expiry job last counted (store/person_certificates.py);
    # a new row spans no day until counted.
    valid_certificates: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    valid_count_from: date = Field(
        default=date(9999, 12, 31),
        index=True,
        sa_column_kwargs={"server_default": text("'9999-12-31'")},
    )
    valid_count_until: date = Field(
        default=date(1, 1, 1),
        index=True,
        sa_column_kwargs={"server_default": text("'0001-01-01'")},
    )
    # Over the same span (migration c3d0c0170009, domain/staffing.py): a bit per
    # live talent role; a bit per (kind, level), per (supported role, level) and
    # per catalogue entry of the valid certificates; how many valid
    # certificates support each role.
    live_roles: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # 64 bits (c3d0c0210013): the entry bits reach bit 62. SQLite's INTEGER
    # holds 64 bits already and is left as declared.
    valid_mask: int = Field(
        default=0,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
        sa_column_kwargs={"server_default": "0"},
    )
    valid_for_policy: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    valid_for_application: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    valid_for_development: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    valid_for_research: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Each role's order of a team slot from those (domain/staffing.py
    # `slot_rank`, migration c3d0c0200012), -1 when the person does not hold
    # the role; written by the same recount.
    slot_rank_policy: int = Field(default=-1, sa_column=_slot_rank_column())
    slot_rank_application: int = Field(default=-1, sa_column=_slot_rank_column())
    slot_rank_development: int = Field(default=-1, sa_column=_slot_rank_column())
    slot_rank_research: int = Field(default=-1, sa_column=_slot_rank_column())
    # The person's latest year in `person_ai_hours` and its AI hours (0 and 0
    # with none), written with the hours (store/talent_persons.py `copy_hours`):
    # an AI-hours filter of that year is a test on this row.
    hours_year: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    hours_centi: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class PersonAiHours(CertsTable, table=True):
    """A person's AI hours of one Taipei year, in hundredths of an hour, as the
    training feed last gave them (`changed_at` is training's moment)."""

    __tablename__ = "person_ai_hours"
    __table_args__ = (
        Index("ix_person_ai_hours_year_hours", "year", "ai_centi"),
        # A year's hours joined by person, from the index alone (staffing).
        Index("ix_person_ai_hours_year_person_hours", "year", "person_id", "ai_centi"),
        # The search's AI-hours order, read backwards until a page is full
        # (c3d0c0160008); ties are sorted by person id as they come.
        Index("ix_person_ai_hours_year_hours_order", "year", "ai_centi", "person_id"),
    )

    person_id: str = Field(primary_key=True, max_length=64)
    year: int = Field(primary_key=True)
    ai_centi: int = Field(default=0)
    basic_centi: int = Field(default=0)
    advanced_centi: int = Field(default=0)
    changed_at: datetime = Field(sa_column=utc_column())
    pulled_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class TalentRoleAssignment(CertsTable, table=True):
    """One AI-talent role of one person, assigned by duties: who assigned it,
    when and why; ending it sets `ended_*` and never deletes the row, so the
    history stays. At most one live row per person and role."""

    __tablename__ = "talent_roles"
    __table_args__ = (
        one_of("role", TALENT_ROLES),
        Index(
            "uq_talent_roles_live",
            "person_id",
            "role",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_talent_roles_role_person", "role", "person_id"),
        # Live holders of a role (staffing search, team slots).
        Index(
            "ix_talent_roles_live_role_person",
            "role",
            "person_id",
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(index=True, max_length=64)
    # The holder's agency when assigned: whose HR officers may change it.
    agency_code: str = Field(index=True, max_length=16)
    role: str = Field(max_length=16)
    reason: str = Field(max_length=500)
    assigned_by: str = Field(max_length=128)
    assigned_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())
    ended_by: str | None = Field(default=None, max_length=128)
    ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    end_reason: str | None = Field(default=None, max_length=500)


class FeedPosition(CertsTable, table=True):
    """Where the last complete pull of a peer's feed ended: the next pull asks
    for what changed after `changed_since`."""

    __tablename__ = "feed_positions"

    feed: str = Field(primary_key=True, max_length=32)
    changed_since: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    updated_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class PromotionPointsTable(CertsTable, table=True):
    """An agency's AI points for one year (陞任評分): points by certificate kind
    and level, by AI-hour bands, and the caps of the two scoring items, as its
    HR officer last set them (`version` counts the changes)."""

    __tablename__ = "promotion_points_tables"

    agency_code: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    # [{"kind", "level", "points", "item"}], points as decimal strings.
    certificates: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # [{"min_hours", "points", "item"}], rising in hours.
    hour_bands: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # {"professional_ability": "…", "training": "…"}
    caps: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1)
    updated_by: str = Field(max_length=128)
    updated_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class StageRuleTable(CertsTable, table=True):
    """An agency's own learning-path stage rules, used instead of the default
    `STAGE_RULES` for its persons: rows read top to bottom (see domain.talent)."""

    __tablename__ = "talent_stage_rules"

    agency_code: str = Field(primary_key=True, max_length=16)
    # [{"stage", "reason", "min_ai_hours", "min_advanced_hours",
    #   "certificate_kinds", "min_level", "roles"}], hours as decimal strings.
    rules: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    version: int = Field(default=1)
    updated_by: str = Field(max_length=128)
    updated_at: datetime = Field(default_factory=now_utc, sa_column=utc_column())


class ImportJob(CertsTable, StoredImportJob, table=True):
    """A certificate import (`services.common.importing`); `source` is "certificates"."""

    __tablename__ = "import_jobs"
    __table_args__ = (UniqueConstraint("source", "idempotency_key"),)


class ImportRowError(CertsTable, StoredImportError, table=True):
    __tablename__ = "import_errors"

    job_id: int = Field(foreign_key="import_jobs.id", index=True)


personal_data_reads = personal_data_reads_table(metadata)
