"""HTTP routers of the attendance service: HTTP in, schemas out."""

from fastapi import APIRouter

from services.attendance.api.comptime import router as comptime
from services.attendance.api.notices import router as notices
from services.attendance.api.policy import router as policy
from services.attendance.api.records import router as records
from services.attendance.api.reports import router as reports
from services.attendance.api.roster import router as roster

ROUTERS: tuple[APIRouter, ...] = (roster, policy, records, comptime, reports, notices)
