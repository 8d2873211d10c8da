"""Team proposal: fill a wanted composition from the persons of the caller's
agencies, ranked per slot with the reasons (services/certs/domain/team.py).

Only each role's best candidates are read (as many as can matter, see
`needed_per_role`), ranked in SQL in the domain's order; the persons proposed
are written to the personal-data read log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from services.certs.clients import Peers
from services.certs.domain import team
from services.certs.domain.levels import rank_of
from services.certs.domain.staffing import (
    SearchFilter,
    VersionFacts,
    certificate_bits,
    last_valid_day,
    matching_versions,
)
from services.certs.domain.talent import (
    Certificate,
    CertificateKind,
    Level,
    StageInput,
    TalentRole,
    learning_stage,
)
from services.certs.models import personal_data_reads
from services.certs.service.staffing import agencies_asked, catalogue, centi, hours_copied
from services.certs.staffing_schemas import TeamProposalAsk
from services.certs.store import person_certificates
from services.certs.store import staffing as store
from services.common.audit import record_personal_data_read
from services.common.principal import Principal


@dataclass(frozen=True)
class Answer:
    proposal: team.Proposal
    day: date
    year: int
    agencies: frozenset[str] | None


def _supporting(
    facts: list[VersionFacts], role: str, kinds: frozenset[str], codes: frozenset[str]
) -> list[VersionFacts]:
    return [
        v
        for v in facts
        if role in v.roles and (not kinds or v.kind in kinds) and (not codes or v.code in codes)
    ]


def _hours(centi_value: int) -> Decimal:
    return Decimal(centi_value).scaleb(-2)


def propose(
    session: Session, who: Principal, peers: Peers, body: TeamProposalAsk, today: date
) -> Answer:
    store.plan_serially(session)
    day = body.valid_on or today
    year = body.year or day.year
    agencies = agencies_asked(who, peers, body.agency_codes, body.subordinates)
    kinds = frozenset(k.value for k in body.kinds or ())
    codes = frozenset(body.catalogue_codes or ())
    facts = catalogue(session)
    wanted = matching_versions(facts, kinds=kinds, codes=codes)
    f = SearchFilter(
        day=day,
        year=year,
        agencies=agencies,
        version_ids=wanted,
        min_ai_centi=centi(body.min_ai_hours),
        mask_bits=None if wanted is None else certificate_bits(facts, wanted),
        # The slots are ranked from the persons' masks when they cover the day.
        masks_cover=person_certificates.counts_cover(session, day),
        hours_copied=hours_copied(session, year),
    )
    slots = [team.Slot(s.role.value, s.count) for s in body.slots]
    rows: dict[str, list[store.RankedRow]] = {}
    eligible: dict[str, int] = {}
    supporting: dict[str, frozenset[int]] = {}
    for role, limit in team.needed_per_role(slots, body.alternates).items():
        versions = _supporting(facts, role, kinds, codes)
        supporting[role] = frozenset(v.id for v in versions)
        levels = {int(lv): [v.id for v in versions if v.rank == lv] for lv in Level}
        rows[role], eligible[role] = store.slot_candidates(
            session, f, role, levels, limit, whole_role=not kinds and not codes
        )
    ids = sorted({r.person_id for pool in rows.values() for r in pool})
    held = store.valid_certificates(session, ids, day)
    hours = store.hours_of(session, ids, year)
    roles = store.live_roles(session, ids)
    stages: dict[str, tuple[str, str]] = {}
    for person_id in ids:
        figures = hours.get(person_id)
        total = figures.ai_centi if figures else 0
        advanced = min(figures.advanced_centi, total) if figures else 0
        result = learning_stage(
            StageInput(
                ai_hours=_hours(total),
                ai_advanced_hours=_hours(advanced),
                day=day,
                certificates=tuple(
                    Certificate(
                        kind=CertificateKind(h.kind),
                        level=rank_of(h.level_rank),
                        verified_on=h.obtained_on,
                        expires_on=last_valid_day(h.expires_on),
                        code=h.code,
                    )
                    for h in held.get(person_id, [])
                ),
                roles=frozenset(TalentRole(r) for r in roles.get(person_id, [])),
            )
        )
        stages[person_id] = (result.stage.code, result.reason)
    pools = {
        role: [
            team.Candidate(
                person_id=r.person_id,
                agency_code=r.agency_code,
                unit_id=r.unit_id,
                role_certificates=tuple(
                    h.code for h in held.get(r.person_id, []) if h.version_id in supporting[role]
                ),
                best_level=Level(r.best_level) if r.best_level else None,
                ai_centi=r.ai_centi,
                stage=stages[r.person_id][0],
                stage_reason=stages[r.person_id][1],
            )
            for r in pool
        ]
        for role, pool in rows.items()
    }
    proposal = team.propose(
        slots,
        pools,
        alternates=body.alternates,
        allow_repeats=body.allow_repeats,
        eligible=eligible,
    )
    shown = sorted({c.person_id for s in proposal.slots for c in (*s.placed, *s.alternates)})
    record_personal_data_read(
        session,
        personal_data_reads,
        who,
        shown,
        "team proposal",
        f"roles, certificates valid on {day.isoformat()}, AI hours {year}",
    )
    return Answer(proposal, day, year, agencies)
