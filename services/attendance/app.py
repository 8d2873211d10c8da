"""FastAPI factory of the attendance service."""

from fastapi import FastAPI

from services.attendance.api import ROUTERS, TAGS
from services.attendance.models import personal_data_reads
from services.attendance.settings import AttendanceSettings
from services.common.app import build_service_app
from services.common.audit_api import personal_data_reads_router


def create_app(settings: AttendanceSettings | None = None) -> FastAPI:
    settings = settings or AttendanceSettings()
    return build_service_app(
        settings,
        [*ROUTERS, personal_data_reads_router("attendance", personal_data_reads)],
        title="renshi Attendance and comp time",
        tags=TAGS,
        description=(
            "Attendance and overtime, work-hour limits, the comp-time ledger with per- "
            "overtime expiry, warnings and settlement."
        ),
    )
