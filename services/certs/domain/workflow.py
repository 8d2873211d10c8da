"""The states of a registered certificate and the moves between them.

submitted → verified | rejected (a reason required); verified → expired (the
expiry job, on the day the validity ends) | revoked (a reason required).
Rejected, expired and revoked are final: a renewal is a new row linked to the
old one, so the history is never overwritten.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    REJECTED = "rejected"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Action(StrEnum):
    VERIFY = "verify"
    REJECT = "reject"
    EXPIRE = "expire"
    REVOKE = "revoke"


MOVES: dict[tuple[State, Action], State] = {
    (State.SUBMITTED, Action.VERIFY): State.VERIFIED,
    (State.SUBMITTED, Action.REJECT): State.REJECTED,
    (State.VERIFIED, Action.EXPIRE): State.EXPIRED,
    (State.VERIFIED, Action.REVOKE): State.REVOKED,
}
NEEDS_REASON = frozenset({Action.REJECT, Action.REVOKE})
# A renewal continues a certificate that was valid: never a refused one.
RENEWABLE = frozenset({State.VERIFIED, State.EXPIRED})


def next_state(state: State, action: Action) -> State | None:
    """Where `action` takes a certificate in `state`; None when it may not."""
    return MOVES.get((state, action))


def refusals(state: State, action: Action, reason: str | None) -> list[tuple[str, str, str]]:
    """Every rule `action` breaks on a certificate in `state`, as (field, code,
    reason); empty when the move is allowed."""
    found: list[tuple[str, str, str]] = []
    if next_state(state, action) is None:
        found.append(
            ("state", "transition_not_allowed", f"a {state.value} certificate cannot {action}")
        )
    if action in NEEDS_REASON and not (reason or "").strip():
        found.append(("body.reason", "reason_required", f"to {action} needs a reason"))
    return found
