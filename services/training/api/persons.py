"""One person's yearly evaluation."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.common.db import WriteSessionDep
from services.common.errors import CONFLICT_RESPONSES
from services.common.timeutil import format_roc, today_taipei
from services.training.access import RecordReader
from services.training.schemas.common import PersonId
from services.training.schemas.records import EvaluationOut, RequirementOut
from services.training.service import compliance

router = APIRouter(prefix="/persons", tags=["persons"])


def evaluation_out(result: compliance.PersonResult) -> EvaluationOut:
    ev = result.evaluation
    labels = {r.code: r.label_zh for r in result.policy.all_topic_requirements}
    labels["total"] = "業務相關學習時數"
    return EvaluationOut(
        person_id=result.person_id,
        agency_code=result.agency_code,
        year=ev.year,
        as_of=ev.as_of,
        as_of_roc=format_roc(ev.as_of),
        cutoff=ev.cutoff,
        cutoff_roc=format_roc(ev.cutoff),
        policy_version=ev.policy_version,
        compliant=ev.compliant,
        ai_target_met=ev.ai_target_met,
        projected_compliant=ev.projected_compliant,
        projected_ai_target_met=ev.projected_ai_target_met,
        counted_hours=ev.counted_hours,
        counted_records=ev.counted_records,
        digital_hours=ev.digital_hours,
        after_cutoff_hours=ev.after_cutoff_hours,
        requirements=[
            RequirementOut(
                code=r.code,
                kind=r.kind.value,
                label_zh=labels.get(r.code, ""),
                required=r.required,
                completed=r.completed,
                missing=r.missing,
                met=r.met,
                projected=r.projected,
                on_track=r.on_track,
            )
            for r in ev.requirements
        ],
    )


@router.get(
    "/{person_id}/evaluation",
    summary="A person's learning-hour compliance for a year",
    response_model=EvaluationOut,
    responses=CONFLICT_RESPONSES,
)
def get_evaluation(
    person_id: Annotated[PersonId, Path()],
    session: WriteSessionDep,
    who: RecordReader,
    year: Annotated[int, Query(ge=1912, le=9999)],
    as_of: Annotated[date | None, Query(description="Taipei day to evaluate as of; today")] = None,
) -> EvaluationOut:
    result = compliance.person_evaluation(session, who, person_id, year, as_of or today_taipei())
    return evaluation_out(result)
