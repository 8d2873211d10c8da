"""What the layers handling a request note of its decision, for its audit row.

Kept in scope["state"] under AUDIT_STATE_KEY: the subject, account kind, route
or source address a layer learnt, or recorded=True once a layer (the proxy, the
auditor's query) wrote the row itself. `gateway.audit.DecisionAuditMiddleware`
writes the row for every other request."""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

AUDIT_STATE_KEY = "renshi.audit"


def note_decision(scope: Scope, **fields: Any) -> None:
    """Add what this layer knows to the request's audit row."""
    scope.setdefault("state", {}).setdefault(AUDIT_STATE_KEY, {}).update(fields)


def mark_recorded(scope: Scope) -> None:
    """This request's row has been written (by the layer calling this)."""
    note_decision(scope, recorded=True)
