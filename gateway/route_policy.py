"""Which permission each public operation needs. Default deny: an operation with
no entry here is never forwarded, and a test checks this table against the
merged OpenAPI document so that every operation has exactly one entry.

A route names the permission family (`training:records:read`); the principal's
permission may narrow it to a scope (`…:self`, `…:agency`) that the service
enforces on each object.
"""

from __future__ import annotations

from gateway.security.paths import RouteTable

AUDIT_ROUTES = {
    ("GET", f"/api/{svc}/audit/personal-data-reads"): f"{svc}:audit:read"
    for svc in ("directory", "training", "certs", "attendance", "speakers")
}

ROUTES: dict[tuple[str, str], str] = {
    **AUDIT_ROUTES,
}


def route_table() -> RouteTable:
    return RouteTable(ROUTES)
