"""An agency's own learning-path stage rules: set by its HR officer, checked by
the pure `domain.talent.check_rules`, used for the agency's persons instead of
the default `STAGE_RULES`."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from services.certs import access
from services.certs.domain.talent import (
    STAGE_RULES,
    CertificateKind,
    Level,
    Stage,
    StageRule,
    TalentRole,
    check_rules,
)
from services.certs.models import StageRuleTable
from services.certs.store import stage_rules as store
from services.certs.talent_schemas import (
    LevelName,
    StageRuleIn,
    StageRuleOut,
    StageRulesIn,
    StageRulesOut,
)
from services.common.errors import FieldError, Invalid
from services.common.principal import Principal
from services.common.reach import check_agency
from services.common.timeutil import now_utc

_ROW = re.compile(r"^rules\[(\d+)\](?:\.(\w+))?$")


def to_rule(row: StageRuleIn) -> StageRule:
    return StageRule(
        stage=Stage[row.stage.upper()],
        reason=row.reason,
        min_ai_hours=row.min_ai_hours,
        min_advanced_hours=row.min_advanced_hours,
        certificate_kinds=frozenset(CertificateKind(k.value) for k in row.certificate_kinds),
        min_level=Level[row.min_level.name],
        roles=frozenset(TalentRole(r.value) for r in row.roles),
    )


def _rule_out(rule: StageRule) -> StageRuleOut:
    return StageRuleOut.model_validate(
        {
            "stage": rule.stage.code,
            "reason": rule.reason,
            "min_ai_hours": rule.min_ai_hours,
            "min_advanced_hours": rule.min_advanced_hours,
            "certificate_kinds": sorted(k.value for k in rule.certificate_kinds),
            "min_level": LevelName(rule.min_level.name.lower()),
            "roles": sorted(r.value for r in rule.roles),
        }
    )


def _stored(row: StageRuleTable) -> tuple[StageRule, ...]:
    return tuple(to_rule(StageRuleIn.model_validate(r)) for r in row.rules)


def rules_for(session: Session, agency_code: str) -> tuple[tuple[StageRule, ...], bool]:
    """The rules for a person of `agency_code`, and whether they are the agency's own."""
    row = store.get(session, agency_code)
    if row is None:
        return STAGE_RULES, False
    return _stored(row), True


def _faults(message: str) -> list[FieldError]:
    faults = []
    for part in message.split("; "):
        path, _, reason = part.partition(": ")
        found = _ROW.match(path)
        field = "body.rules"
        if found is not None:
            field += f".{found.group(1)}" + (f".{found.group(2)}" if found.group(2) else "")
        faults.append(FieldError(field=field, reason=reason or part, code="invalid_rules"))
    return faults


def _out(agency_code: str, row: StageRuleTable | None) -> StageRulesOut:
    rules = STAGE_RULES if row is None else _stored(row)
    return StageRulesOut(
        agency_code=agency_code,
        default=row is None,
        rules=[_rule_out(r) for r in rules],
        version=0 if row is None else row.version,
        updated_by=None if row is None else row.updated_by,
        updated_at=None if row is None else row.updated_at,
    )


def read(session: Session, who: Principal, agency_code: str) -> StageRulesOut:
    check_agency(who, access.TALENT_READ, agency_code)
    return _out(agency_code, store.get(session, agency_code))


def replace(
    session: Session, who: Principal, agency_code: str, body: StageRulesIn
) -> StageRulesOut:
    check_agency(who, access.TALENT_WRITE, agency_code)
    faults: list[FieldError] = []
    for i, asked in enumerate(body.rules):
        advanced, total = asked.min_advanced_hours, asked.min_ai_hours
        if advanced is not None and total is not None and advanced > total:
            faults.append(
                FieldError(
                    field=f"body.rules.{i}.min_advanced_hours",
                    reason="more than min_ai_hours: advanced hours are part of the total",
                    code="invalid_rules",
                )
            )
    try:
        check_rules(tuple(to_rule(r) for r in body.rules))
    except ValueError as exc:
        faults = _faults(str(exc)) + faults
    if faults:
        raise Invalid(
            "the stage rules are refused: " + "; ".join(f"{f.field}: {f.reason}" for f in faults),
            errors=faults,
        )
    data: list[dict[str, Any]] = [r.model_dump(mode="json") for r in body.rules]
    row = store.get(session, agency_code, for_update=True)
    if row is None:
        row = StageRuleTable(agency_code=agency_code, rules=data, updated_by=who.sub)
    else:
        row.rules = data
        row.version += 1
        row.updated_by = who.sub
        row.updated_at = now_utc()
    session.add(row)
    session.flush()
    return _out(agency_code, row)
