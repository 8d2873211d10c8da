"""Public operations of the directory service and the permission each needs."""

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/directory/audit/personal-data-reads"): "directory:audit:read",
}
