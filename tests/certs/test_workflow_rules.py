"""The pure rules of the registry: state moves, what a catalogue version takes,
and evidence told by its content."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.certs.domain.evidence import JPEG, PDF, PNG, media_type_of
from services.certs.domain.registration import VersionFacts, refusals
from services.certs.domain.workflow import Action, State, next_state
from services.certs.domain.workflow import refusals as move_refusals

ALLOWED = {
    (State.SUBMITTED, Action.VERIFY): State.VERIFIED,
    (State.SUBMITTED, Action.REJECT): State.REJECTED,
    (State.VERIFIED, Action.EXPIRE): State.EXPIRED,
    (State.VERIFIED, Action.REVOKE): State.REVOKED,
}


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", list(Action))
def test_every_move_allowed_or_refused(state: State, action: Action) -> None:
    assert next_state(state, action) == ALLOWED.get((state, action))
    codes = {code for _, code, _ in move_refusals(state, action, "a reason")}
    assert ("transition_not_allowed" in codes) == ((state, action) not in ALLOWED)


@pytest.mark.parametrize("reason", [None, "", "   "])
@pytest.mark.parametrize("action", [Action.REJECT, Action.REVOKE])
def test_rejecting_or_revoking_needs_a_reason(action: Action, reason: str | None) -> None:
    state = State.SUBMITTED if action is Action.REJECT else State.VERIFIED
    assert move_refusals(state, action, reason) == [
        ("body.reason", "reason_required", f"to {action} needs a reason")
    ]
    assert move_refusals(state, action, "number does not match the scan") == []


def test_a_refusal_names_every_rule_broken() -> None:
    codes = [code for _, code, _ in move_refusals(State.REJECTED, Action.REVOKE, None)]
    assert codes == ["transition_not_allowed", "reason_required"]


OPEN = VersionFacts(
    retired=False, superseded=False, recognised_from=date(2026, 7, 1), recognised_until=None
)
TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("facts", "obtained", "codes"),
    [
        (OPEN, date(2026, 7, 1), []),
        (OPEN, date(2026, 6, 30), ["obtained_before_recognised"]),
        (OPEN, date(2026, 12, 3), ["in_the_future"]),
        (
            VersionFacts(True, False, date(2026, 7, 1), None),
            date(2026, 8, 1),
            ["catalogue_retired"],
        ),
        (
            VersionFacts(False, True, date(2026, 7, 1), None),
            date(2026, 8, 1),
            ["catalogue_version_superseded"],
        ),
        (VersionFacts(False, False, None, None), date(2026, 8, 1), ["not_yet_recognised"]),
        (
            VersionFacts(False, False, date(2020, 1, 1), date(2026, 1, 1)),
            date(2026, 1, 2),
            ["obtained_after_recognition_ended"],
        ),
        (
            VersionFacts(True, True, date(2026, 7, 1), None),
            date(2026, 6, 1),
            ["catalogue_retired", "catalogue_version_superseded", "obtained_before_recognised"],
        ),
    ],
)
def test_what_a_catalogue_version_takes(
    facts: VersionFacts, obtained: date, codes: list[str]
) -> None:
    assert [code for _, code, _ in refusals(facts, obtained, TODAY)] == codes


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", PDF),
        (b"\x89PNG\r\n\x1a\n\x00\x00", PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", JPEG),
        (b"MZ\x90\x00\x03\x00", None),  # a Windows executable
        (b"\x7fELF\x02\x01", None),
        (b"PK\x03\x04", None),  # a zip (or an Office file)
        (b"GIF89a", None),
        (b"", None),
        (b"%PD", None),
    ],
)
def test_evidence_told_by_its_first_bytes(head: bytes, media_type: str | None) -> None:
    assert media_type_of(head) == media_type


@given(st.binary(max_size=64))
def test_only_the_three_signatures_are_accepted(data: bytes) -> None:
    found = media_type_of(data)
    expected = (
        PDF
        if data.startswith(b"%PDF-")
        else PNG
        if data.startswith(b"\x89PNG\r\n\x1a\n")
        else JPEG
        if data.startswith(b"\xff\xd8\xff")
        else None
    )
    assert found == expected
