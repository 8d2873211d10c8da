"""Declared permissions of the attendance routes, and the dependencies they share."""

# No `from __future__ import annotations`: FastAPI resolves these aliases at import.

from typing import Annotated

from fastapi import Depends, Request

from services.attendance.settings import AttendanceSettings
from services.common.db import WriteSessionDep as WriteSessionDep
from services.common.permissions import require
from services.common.principal import Principal

# WriteSessionDep, re-exported above, is the kernel's write session: writes that
# move a balance or add to a person's hours take their turn at the engine's
# writer gate, then BEGIN IMMEDIATE on SQLite at the first statement, in the
# endpoint's own thread; services/common/db.py says why no lock may span
# threadpool calls.

ROSTER_IMPORT = "attendance:roster:import"
RECORDS_READ = "attendance:records:read"
RECORDS_WRITE = "attendance:records:write"
RECORDS_IMPORT = "attendance:records:import"
OVERTIME_REQUEST = "attendance:overtime:request"
OVERTIME_APPROVE = "attendance:overtime:approve"
COMP_REQUEST = "attendance:comp:request"
COMP_APPROVE = "attendance:comp:approve"
COMP_TRANSFER = "attendance:comp:transfer"
POLICY_READ = "attendance:policy:read"
POLICY_WRITE = "attendance:policy:write"
SETTLEMENT_READ = "attendance:settlement:read"
REPORTS_READ = "attendance:reports:read"

RosterImporter = Annotated[Principal, Depends(require(ROSTER_IMPORT))]
RecordsReader = Annotated[Principal, Depends(require(RECORDS_READ, "self", "unit", "agency"))]
RecordsWriter = Annotated[Principal, Depends(require(RECORDS_WRITE, "agency"))]
RecordsImporter = Annotated[Principal, Depends(require(RECORDS_IMPORT))]
OvertimeRequester = Annotated[Principal, Depends(require(OVERTIME_REQUEST, "self", "agency"))]
OvertimeApprover = Annotated[Principal, Depends(require(OVERTIME_APPROVE, "unit"))]
CompRequester = Annotated[Principal, Depends(require(COMP_REQUEST, "self", "agency"))]
CompApprover = Annotated[Principal, Depends(require(COMP_APPROVE, "unit"))]
CompTransferrer = Annotated[Principal, Depends(require(COMP_TRANSFER, "agency"))]
PolicyReader = Annotated[Principal, Depends(require(POLICY_READ, "agency"))]
PolicyWriter = Annotated[Principal, Depends(require(POLICY_WRITE, "agency"))]
SettlementReader = Annotated[Principal, Depends(require(SETTLEMENT_READ, "agency"))]
ReportsReader = Annotated[Principal, Depends(require(REPORTS_READ, "agency"))]


def _settings(request: Request) -> AttendanceSettings:
    settings = request.app.state.settings
    assert isinstance(settings, AttendanceSettings)
    return settings


SettingsDep = Annotated[AttendanceSettings, Depends(_settings)]
