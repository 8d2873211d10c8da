"""HTTP routers of the attendance service: HTTP in, schemas out."""

from fastapi import APIRouter

from services.attendance.api.comptime import router as comptime
from services.attendance.api.notices import router as notices
from services.attendance.api.policy import router as policy
from services.attendance.api.records import router as records
from services.attendance.api.reports import router as reports
from services.attendance.api.roster import router as roster

ROUTERS: tuple[APIRouter, ...] = (roster, policy, records, comptime, reports, notices)


# Each tag's description, in the order the published document lists them.
TAGS: dict[str, str] = {
    "roster": (
        "Who works where and under whom (單位主管): the attendance service's own copy, imported."
    ),
    "policy": (
        "An agency's comp-time rules: validity, budget state, warning lead times, work-hour limits."
    ),
    "records": (
        "Clocked days and overtime (加班), recorded or imported, approved by the unit supervisor."
    ),
    "comptime": (
        "The comp-time ledger (補休): grants with their expiry, leave taken earliest expiry first."
    ),
    "reports": (
        "Balances, expiring comp time and the settlement queue of an agency, as JSON or files."
    ),
    "notices": "Warnings to a person: comp time about to lapse, decisions on their requests.",
}
