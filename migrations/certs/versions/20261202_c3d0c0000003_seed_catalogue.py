"""seed the catalogue with the certificates the AI-talent guidance names

Revision ID: c3d0c0000003
Revises: c3d0c0000002
Create Date: 2026-12-02

The certificates named by the June 2026 HR Q&A on AI civil-service talent
(seeds 001, Q6 and Q7) and domain.md §3, one version each, written out here so
that this revision keeps meaning the same rows however the catalogue moves on
(catalogue officers change entries through the API, each change a new version).

Where the sources say nothing, the row says so instead of guessing:
- validity: the guidance publishes none. `validity_months` is filled only where
  the issuer's own public policy is well known (AWS certifications 3 years,
  Google Cloud professional certifications 2 years, Microsoft fundamentals
  certifications do not lapse); elsewhere it is empty and `validity_note` says
  that no validity is published, so such certificates never lapse here until a
  catalogue officer records one.
- recognised from: industry certificates from 2026-06-09, the day the guidance
  was sent to the agencies (總處培字第11530266771號); the common core
  certificate from 2026-07-01 (its pilot runs from the second half of 115);
  the application-planning certificate is only being planned, so it is not
  recognised yet (no `recognised_from`).
- level: the issuer's own word where it has one (iPAS 中級, AWS Foundational,
  Google Cloud Professional), else the guidance's description.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0000003"
down_revision: str | None = "c3d0c0000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY = "migration-c3d0c0000003"
AT = datetime(2026, 12, 2, tzinfo=UTC)
GUIDANCE_SENT = date(2026, 6, 9)
NOT_PUBLISHED = "validity not published by the issuer or the guidance; recorded as none"

# code, name, issuer, kind, level, roles, validity months, validity note, sector,
# recognised from
SEED = (
    (
        "gov-ai-core",
        "公務AI共通核心能力認證 (government AI common core competency)",
        "行政院人事行政總處",
        "literacy",
        "core (no coding)",
        ["application", "development", "policy", "research"],
        None,
        NOT_PUBLISHED + "; pilot from the second half of 2026",
        "government",
        date(2026, 7, 1),
    ),
    (
        "gov-ai-application-planning",
        "公務AI應用規劃導入能力認證 (government AI application planning)",
        "行政院人事行政總處",
        "project_planning",
        "planning and supervision",
        ["policy"],
        None,
        NOT_PUBLISHED + "; the certificate is still being planned",
        "government",
        None,
    ),
    (
        "ipas-ai-planner-intermediate",
        "iPAS AI應用規劃師 中級能力鑑定",
        "經濟部 (MOEA) iPAS",
        "tool",
        "intermediate (中級)",
        ["application", "policy"],
        None,
        NOT_PUBLISHED,
        "industry",
        GUIDANCE_SENT,
    ),
    (
        "iii-genai-office",
        "生成式AI辦公室應用能力認證",
        "資訊工業策進會 (III)",
        "tool",
        "office application (no coding)",
        ["application"],
        None,
        NOT_PUBLISHED,
        "industry",
        GUIDANCE_SENT,
    ),
    (
        "microsoft-ai-900",
        "Microsoft Certified: Azure AI Fundamentals (AI-900)",
        "Microsoft",
        "tool",
        "fundamentals",
        ["application", "development"],
        None,
        "Microsoft fundamentals certifications do not expire",
        "industry",
        GUIDANCE_SENT,
    ),
    (
        "aws-ai-practitioner",
        "AWS Certified AI Practitioner",
        "Amazon Web Services",
        "tool",
        "foundational",
        ["application", "development"],
        36,
        "AWS certifications are valid for 3 years",
        "industry",
        GUIDANCE_SENT,
    ),
    (
        "aws-ml-engineer-associate",
        "AWS Certified Machine Learning Engineer - Associate",
        "Amazon Web Services",
        "project_technical",
        "associate",
        ["development"],
        36,
        "AWS certifications are valid for 3 years",
        "industry",
        GUIDANCE_SENT,
    ),
    (
        "gcp-professional-ml-engineer",
        "Google Cloud Professional Machine Learning Engineer",
        "Google Cloud",
        "project_technical",
        "professional",
        ["development", "research"],
        24,
        "Google Cloud professional certifications are valid for 2 years",
        "industry",
        GUIDANCE_SENT,
    ),
    (
        "csf-tqc-plus-ai",
        "TQC+ 人工智慧 (AI-related TQC+ certificates)",
        "財團法人電腦技能基金會 (CSF)",
        "tool",
        "professional (TQC+)",
        ["application", "development"],
        None,
        NOT_PUBLISHED,
        "industry",
        GUIDANCE_SENT,
    ),
)

entries = sa.table(
    "catalogue_entries",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("created_by", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
versions = sa.table(
    "catalogue_versions",
    sa.column("entry_id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("name", sa.String),
    sa.column("issuer", sa.String),
    sa.column("kind", sa.String),
    sa.column("level", sa.String),
    sa.column("roles", sa.JSON),
    sa.column("validity_months", sa.Integer),
    sa.column("validity_note", sa.String),
    sa.column("sector", sa.String),
    sa.column("recognised_from", sa.Date),
    sa.column("created_by", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    conn = op.get_bind()
    for code, name, issuer, kind, level, roles, months, note, sector, since in SEED:
        conn.execute(sa.insert(entries).values(code=code, created_by=BY, created_at=AT))
        entry_id = conn.execute(sa.select(entries.c.id).where(entries.c.code == code)).scalar_one()
        conn.execute(
            sa.insert(versions).values(
                entry_id=entry_id,
                version=1,
                name=name,
                issuer=issuer,
                kind=kind,
                level=level,
                roles=roles,
                validity_months=months,
                validity_note=note,
                sector=sector,
                recognised_from=since,
                created_by=BY,
                created_at=AT,
            )
        )


def downgrade() -> None:
    # The seed rows go; the foreign keys refuse it while a certificate points at one.
    conn = op.get_bind()
    codes = [row[0] for row in SEED]
    ids = list(conn.execute(sa.select(entries.c.id).where(entries.c.code.in_(codes))).scalars())
    conn.execute(sa.delete(versions).where(versions.c.entry_id.in_(ids)))
    conn.execute(sa.delete(entries).where(entries.c.id.in_(ids)))
