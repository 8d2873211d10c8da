"""Public operations of the speakers service and the permission each needs."""

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/speakers/audit/personal-data-reads"): "speakers:audit:read",
}
