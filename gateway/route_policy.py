"""Which permission each public operation needs. Default deny: an operation with
no entry here is never forwarded.

The table is not written here: each service declares an operation's permission
once, on its route (`services.common.permissions.require`), which stamps it into
the service's OpenAPI document as `x-renshi-permission`; the gateway reads the
snapshots of those documents (`gateway/service_documents/`) and nothing else.

A route names the permission family (`training:records:read`); the principal's
permission may narrow it to a scope (`…:self`, `…:agency`) that the service
enforces on each object.
"""

from __future__ import annotations

from gateway.openapi import route_permissions, service_documents
from gateway.security.paths import RouteTable

ROUTES: dict[tuple[str, str], str] = route_permissions(service_documents())


def route_table() -> RouteTable:
    return RouteTable(ROUTES)
