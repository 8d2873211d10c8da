"""Drive every public operation through the gateway once per role and report
which were forwarded. `python -m tests.gateway.role_matrix` prints the matrix
as JSON, for review when roles or routes change."""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from gateway.route_policy import ROUTES
from services.common.service_identity import service_account
from services.directory.roles import CATALOGUE, SERVICE_ROLE_PREFIX
from tests.gateway.harness import account, build

_PARAM = re.compile(r"\{[^}]+\}")


def concrete(template: str) -> str:
    return _PARAM.sub("x1", template)


def _account_for(role: str, kind: str) -> str:
    """A service role is held by its service's own account, which the peer
    policy knows by name (`service_training` by `svc.training`); the gateway's
    role `service` by the gateway's account."""
    if kind == "service":
        if role.startswith(SERVICE_ROLE_PREFIX):
            return service_account(role.removeprefix(SERVICE_ROLE_PREFIX))
        return "gateway"
    return f"role-{role}"


def matrix(tmp_path: Path) -> dict[str, list[str]]:
    client, harness = build(
        tmp_path, rate_limit_per_ip="1000000/minute", rate_limit_per_principal="1000000/minute"
    )
    allowed: dict[str, list[str]] = {}
    with client:
        for role in CATALOGUE:
            name = _account_for(role.name, role.kind)
            fields: dict[str, Any] = {
                "kind": role.kind,
                "roles": [role.name],
                "permissions": list(role.permissions),
            }
            if role.kind != "human":
                fields["allowed_networks"] = ["127.0.0.1/32"]
            harness.accounts[name] = account(name, **fields)
            token = harness.token(name, lifetime=600)
            forwarded = []
            for method, template in sorted(ROUTES):
                before = harness.recorder.count
                response = client.request(
                    method, concrete(template), headers={"Authorization": f"Bearer {token}"}
                )
                if harness.recorder.count > before:
                    forwarded.append(f"{method} {template}")
                else:
                    assert response.status_code == 403, (role.name, method, template, response.text)
            allowed[role.name] = forwarded
    return allowed


if __name__ == "__main__":
    from tests.databases import fresh_database
    from tests.gateway.harness import AUDIT_DATABASE

    with tempfile.TemporaryDirectory() as tmp, fresh_database("gateway", Path(tmp)) as url:
        AUDIT_DATABASE["url"] = url
        json.dump(matrix(Path(tmp)), sys.stdout, indent=1, sort_keys=True)
        print()
