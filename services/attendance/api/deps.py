"""Declared permissions of the attendance routes, and the dependencies they share.

The permission names themselves are `access`'s, where the use cases check the
scopes a principal holds in them; the routes declare them here."""

# No `from __future__ import annotations`: FastAPI resolves these aliases at import.

from typing import Annotated

from fastapi import Depends, Request

from services.attendance.access import (
    COMP_APPROVE as COMP_APPROVE,
)
from services.attendance.access import (
    COMP_REQUEST as COMP_REQUEST,
)
from services.attendance.access import (
    COMP_TRANSFER as COMP_TRANSFER,
)
from services.attendance.access import (
    OVERTIME_APPROVE as OVERTIME_APPROVE,
)
from services.attendance.access import (
    OVERTIME_REQUEST as OVERTIME_REQUEST,
)
from services.attendance.access import (
    POLICY_READ as POLICY_READ,
)
from services.attendance.access import (
    POLICY_WRITE as POLICY_WRITE,
)
from services.attendance.access import (
    RECORDS_IMPORT as RECORDS_IMPORT,
)
from services.attendance.access import (
    RECORDS_READ as RECORDS_READ,
)
from services.attendance.access import (
    RECORDS_WRITE as RECORDS_WRITE,
)
from services.attendance.access import (
    REPORTS_READ as REPORTS_READ,
)
from services.attendance.access import (
    ROSTER_IMPORT as ROSTER_IMPORT,
)
from services.attendance.access import (
    SETTLEMENT_READ as SETTLEMENT_READ,
)
from services.attendance.settings import AttendanceSettings
from services.common.db import WriteSessionDep as WriteSessionDep
from services.common.permissions import require
from services.common.principal import Principal

# WriteSessionDep, re-exported above, is the kernel's write session: writes that
# move a balance or add to a person's hours take their turn at the engine's
# writer gate, then BEGIN IMMEDIATE on SQLite at the first statement, in the
# endpoint's own thread; services/common/db.py says why no lock may span
# threadpool calls.


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
