"""Public operations of the certs service and the permission each needs."""

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/certs/audit/personal-data-reads"): "certs:audit:read",
}
