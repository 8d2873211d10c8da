"""Which permission each public operation needs. Default deny: an operation with
no entry here is never forwarded, and a test checks this table against the
merged OpenAPI document so that every operation has exactly one entry.

A route names the permission family (`training:records:read`); the principal's
permission may narrow it to a scope (`…:self`, `…:agency`) that the service
enforces on each object. The entries live beside each other per service in
`gateway/policies/`.
"""

from __future__ import annotations

from gateway.policies import attendance, certs, directory, speakers, training
from gateway.security.paths import RouteTable

ROUTES: dict[tuple[str, str], str] = {}
for _module in (directory, training, certs, attendance, speakers):
    _overlap = ROUTES.keys() & _module.ROUTES.keys()
    if _overlap:
        raise ValueError(f"route declared twice: {sorted(_overlap)}")
    ROUTES.update(_module.ROUTES)


def route_table() -> RouteTable:
    return RouteTable(ROUTES)
