"""Public operations of the attendance service and the permission each needs.

The gateway checks the family; the service narrows it to the scope held
(`…:self`, `…:unit`, `…:agency`) on each person or agency.
"""

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/attendance/audit/personal-data-reads"): "attendance:audit:read",
    # roster
    ("POST", "/api/attendance/roster/import"): "attendance:roster:import",
    ("GET", "/api/attendance/roster/{person_id}"): "attendance:records:read",
    # agency policy and limits
    ("GET", "/api/attendance/agencies/{agency_code}/policy"): "attendance:policy:read",
    ("PUT", "/api/attendance/agencies/{agency_code}/policy"): "attendance:policy:write",
    ("GET", "/api/attendance/agencies/{agency_code}/limits/{regime}"): "attendance:policy:read",
    ("PUT", "/api/attendance/agencies/{agency_code}/limits/{regime}"): "attendance:policy:write",
    ("POST", "/api/attendance/persons/{person_id}/consent-windows"): "attendance:policy:write",
    # attendance and overtime records
    ("POST", "/api/attendance/attendance-records"): "attendance:records:write",
    ("POST", "/api/attendance/attendance-records/import"): "attendance:records:import",
    ("POST", "/api/attendance/overtime"): "attendance:overtime:request",
    ("GET", "/api/attendance/overtime"): "attendance:records:read",
    ("POST", "/api/attendance/overtime/import"): "attendance:records:import",
    ("GET", "/api/attendance/overtime/{overtime_id}"): "attendance:records:read",
    ("POST", "/api/attendance/overtime/{overtime_id}/approve"): "attendance:overtime:approve",
    ("POST", "/api/attendance/overtime/{overtime_id}/reject"): "attendance:overtime:approve",
    # comp time
    ("GET", "/api/attendance/persons/{person_id}/comp-time"): "attendance:records:read",
    ("GET", "/api/attendance/persons/{person_id}/comp-time/entries"): "attendance:records:read",
    ("POST", "/api/attendance/persons/{person_id}/comp-time/transfer"): "attendance:comp:transfer",
    ("POST", "/api/attendance/comp-leave"): "attendance:comp:request",
    ("GET", "/api/attendance/comp-leave"): "attendance:records:read",
    ("GET", "/api/attendance/comp-leave/{request_id}"): "attendance:records:read",
    ("POST", "/api/attendance/comp-leave/{request_id}/approve"): "attendance:comp:approve",
    ("POST", "/api/attendance/comp-leave/{request_id}/refuse"): "attendance:comp:approve",
    ("POST", "/api/attendance/comp-leave/{request_id}/cancel"): "attendance:comp:request",
    # monitoring and settlement
    ("GET", "/api/attendance/reports/monthly-overtime"): "attendance:reports:read",
    ("GET", "/api/attendance/reports/comp-balances"): "attendance:reports:read",
    ("GET", "/api/attendance/authority-reports"): "attendance:reports:read",
    ("GET", "/api/attendance/settlements"): "attendance:settlement:read",
    ("GET", "/api/attendance/settlements/export"): "attendance:settlement:read",
    ("GET", "/api/attendance/me/notices"): "attendance:records:read",
}
