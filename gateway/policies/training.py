"""Public operations of the training service and the permission each needs."""

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/training/audit/personal-data-reads"): "training:audit:read",
}
