"""A person's AI talent profile: the learning-path stage (entry → advanced →
hands-on) by the rules written as data, and the readiness view, which asks
training live for the person's AI hours of the year.

Both count verified certificates valid on the day asked (default: today in
Taipei). The stage reads the nightly pull's copy of the AI hours, so it answers
without training; the readiness view asks training (a short timeout), and when
training cannot answer it still gives the certificates and says so, with the
stored copy when there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from services.certs import access
from services.certs.domain.talent import StageInput, learning_stage
from services.certs.models import personal_data_reads
from services.certs.service import stage_rules, talent_inputs
from services.certs.service.talent_reach import reached_person
from services.certs.talent_schemas import AiHoursFigures, ReadinessOut, StageOut
from services.certs.training_client import TrainingClient
from services.common.audit import record_personal_data_read
from services.common.errors import Problem
from services.common.principal import Principal


def stage(session: Session, who: Principal, person_id: str, on: date) -> StageOut:
    agency = reached_person(session, who, access.TALENT_READ, person_id)
    record_personal_data_read(session, personal_data_reads, who, [person_id], "talent-stage")
    rules, own = stage_rules.rules_for(session, agency)
    held = talent_inputs.held_certificates(session, person_id)
    hours = talent_inputs.stored_hours(session, person_id, on.year)
    roles = talent_inputs.live_roles(session, person_id)
    result = learning_stage(
        StageInput(
            ai_hours=hours.total,
            ai_advanced_hours=hours.advanced,
            day=on,
            certificates=tuple(h.rule for h in held),
            roles=roles,
        ),
        rules,
    )
    valid = [h for h in held if h.rule.valid_on(on)]
    counted = {id(c) for c in result.counted}
    return StageOut(
        person_id=person_id,
        on=on,
        year=on.year,
        stage=result.stage.code,
        stage_zh=result.stage.label_zh,
        reason=result.reason,
        rule=result.rule,
        rules="agency" if own else "default",
        roles=sorted(roles),
        ai_hours=hours.figures(),
        ai_hours_pulled_at=hours.pulled_at,
        counted=[talent_inputs.counted_out(h) for h in valid if id(h.rule) in counted],
        valid_certificates=[talent_inputs.counted_out(h) for h in valid],
    )


@dataclass(frozen=True)
class LiveHours:
    """Training's live answer for one person's year, or why there is none."""

    figures: AiHoursFigures | None
    unavailable_reason: str | None


def ask_training(
    session: Session,
    who: Principal,
    training: Callable[[], TrainingClient],
    person_id: str,
    year: int,
) -> LiveHours:
    """Ask training for the person's AI hours of `year`, once the caller is known
    to reach the person (training is never asked about anyone else). Runs on a
    read session, before the readiness view takes its write session, so that no
    writer waits behind a slow training."""
    reached_person(session, who, access.TALENT_READ, person_id)
    try:
        with training() as client:
            live = client.person_ai_hours(person_id, year)
    except Problem as exc:
        # A refusal (a peer error) is as much "cannot be asked" as a timeout here:
        # the certificate part stands on its own.
        return LiveHours(None, exc.detail or "the training service cannot be reached")
    return LiveHours(
        AiHoursFigures(
            year=live.year,
            ai_hours=live.ai_hours,
            ai_basic_hours=live.ai_basic_hours,
            ai_advanced_hours=live.ai_advanced_hours,
        ),
        None,
    )


def readiness(
    session: Session, who: Principal, live: LiveHours, person_id: str, on: date
) -> ReadinessOut:
    """The certificates valid on `on` with training's live answer, else the
    stored copy (saying so), else an explicit unavailable."""
    agency = reached_person(session, who, access.TALENT_READ, person_id)
    record_personal_data_read(session, personal_data_reads, who, [person_id], "talent-readiness")
    held = talent_inputs.held_certificates(session, person_id)
    certificates = [talent_inputs.counted_out(h) for h in held if h.rule.valid_on(on)]
    if live.figures is not None:
        return ReadinessOut(
            person_id=person_id,
            agency_code=agency,
            on=on,
            year=on.year,
            certificates=certificates,
            ai_hours=live.figures,
            ai_hours_source="training",
            ai_hours_pulled_at=None,
            ai_hours_unavailable_reason=None,
        )
    stored = talent_inputs.stored_hours(session, person_id, on.year)
    found = stored.pulled_at is not None
    return ReadinessOut(
        person_id=person_id,
        agency_code=agency,
        on=on,
        year=on.year,
        certificates=certificates,
        ai_hours=stored.figures() if found else None,
        ai_hours_source="stored" if found else "unavailable",
        ai_hours_pulled_at=stored.pulled_at,
        ai_hours_unavailable_reason=live.unavailable_reason,
    )
