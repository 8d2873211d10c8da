"""Builders for staffing tests: rows written straight into the certs tables
(talent persons, roles and AI hours are filled by the nightly pull and the role
assignments elsewhere; here they are data), and the directory stub the certs
service asks for subtrees."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from services.certs.clients import Peers, peer_clients
from services.certs.domain.levels import level_code, level_of
from services.certs.models import (
    CatalogueEntry,
    CatalogueVersion,
    Certificate,
    PersonAiHours,
    TalentPerson,
    TalentRoleAssignment,
)
from services.certs.store import talent_persons
from tests.certs.conftest import HR_A01, HR_PERMISSIONS

STAFFING = [*HR_PERMISSIONS, "certs:staffing:read:agency"]
# A01 with its subordinate A01-1 in scope; A01-1's officer sees only A01-1.
STAFF_A01: dict[str, Any] = {
    **HR_A01,
    "sub": "staff.a01",
    "permissions": STAFFING,
    "agency_scope": ["A01", "A01-1"],
}
STAFF_A011: dict[str, Any] = {
    **STAFF_A01,
    "sub": "staff.a011",
    "person_id": "P-HR11",
    "agency_code": "A01-1",
    "agency_scope": ["A01-1"],
}
STAFF_A02: dict[str, Any] = {
    **STAFF_A01,
    "sub": "staff.a02",
    "person_id": "P-HR2",
    "agency_code": "A02",
    "agency_scope": ["A02"],
}
AT = datetime(2026, 1, 1, tzinfo=UTC)


class Data:
    """Rows for one test, written in one session that the caller commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._number = 0

    def commit(self) -> None:
        self.session.commit()

    def version(
        self,
        code: str,
        kind: str = "tool",
        level: str = "foundational",
        roles: tuple[str, ...] = ("application",),
        name: str | None = None,
        rank: str | None = None,
    ) -> int:
        """A catalogue entry with one version; `rank` None: the one `level`'s words
        say, as the catalogue API defaults it."""
        entry = CatalogueEntry(code=code, created_by="test", created_at=AT)
        self.session.add(entry)
        self.session.flush()
        assert entry.id is not None
        version = CatalogueVersion(
            entry_id=entry.id,
            version=1,
            name=name or f"certificate {code}",
            issuer=f"issuer of {code}",
            kind=kind,
            level=level,
            level_rank=rank or level_code(level_of(level)),
            roles=sorted(roles),
            sector="industry",
            recognised_from=date(2020, 1, 1),
            created_by="test",
            created_at=AT,
        )
        self.session.add(version)
        self.session.flush()
        assert version.id is not None
        return version.id

    def person(self, person_id: str, agency: str = "A01", unit: str = "U1") -> str:
        self.session.add(
            TalentPerson(person_id=person_id, agency_code=agency, unit_id=unit, refreshed_at=AT)
        )
        self._copy_hours(person_id)
        return person_id

    def _copy_hours(self, person_id: str) -> None:
        # As the pull and role assignment do: the latest hours onto the row.
        self.session.flush()
        talent_persons.copy_hours(self.session, [person_id])

    def role(self, person_id: str, role: str, agency: str = "A01", ended: bool = False) -> None:
        self.session.add(
            TalentRoleAssignment(
                person_id=person_id,
                agency_code=agency,
                role=role,
                reason="duties",
                assigned_by="test",
                assigned_at=AT,
                ended_by="test" if ended else None,
                ended_at=AT if ended else None,
            )
        )

    def hours(self, person_id: str, year: int, centi: int, advanced: int = 0) -> None:
        self.session.add(
            PersonAiHours(
                person_id=person_id,
                year=year,
                ai_centi=centi,
                basic_centi=centi - advanced,
                advanced_centi=advanced,
                changed_at=AT,
                pulled_at=AT,
            )
        )
        self._copy_hours(person_id)

    def certificate(
        self,
        person_id: str,
        version_id: int,
        obtained_on: date = date(2026, 3, 1),
        expires_on: date | None = None,
        state: str = "verified",
        agency: str = "A01",
        number: str | None = None,
    ) -> int:
        self._number += 1
        row = Certificate(
            person_id=person_id,
            agency_code=agency,
            catalogue_version_id=version_id,
            issuer=f"issuer {version_id}",
            certificate_number=number or f"N-{self._number:06d}",
            obtained_on=obtained_on,
            expires_on=expires_on,
            state=state,
            source="submitted",
            registered_by="test",
            registered_at=AT,
        )
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id


@pytest.fixture
def data(certs_app: FastAPI) -> Iterator[Data]:
    with Session(certs_app.state.engine) as session:
        yield Data(session)


@dataclass
class DirectoryStub:
    """What the certs service's directory peer answers; tests change it per case."""

    subtrees: dict[str, list[str]] = field(default_factory=dict)
    down: bool = False
    asked: list[str] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("directory down", request=request)
        code = request.url.path.rsplit("/", 2)[-2]
        self.asked.append(code)
        return httpx.Response(200, json={"code": code, "codes": self.subtrees.get(code, [code])})


@pytest.fixture
def directory(certs_app: FastAPI) -> Iterator[DirectoryStub]:
    stub = DirectoryStub()

    def peers() -> Iterator[Peers]:
        opened = Peers(
            {"directory": "http://directory.test"},
            lambda peer: f"token-for-{peer}",
            transports={"directory": httpx.MockTransport(stub.handle)},
        )
        try:
            yield opened
        finally:
            opened.close()

    certs_app.dependency_overrides[peer_clients] = peers
    yield stub
    certs_app.dependency_overrides.pop(peer_clients, None)
