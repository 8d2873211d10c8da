"""Public operations of the attendance service and the permission each needs."""

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/attendance/audit/personal-data-reads"): "attendance:audit:read",
}
