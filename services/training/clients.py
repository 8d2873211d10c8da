"""Typed clients of the services training calls: speakers (lecturers, engagements)
and directory (persons, agency subtrees).

A request's call carries the caller's principal: the request's internal token is
exchanged at the gateway for one addressed to the peer. A job's call carries
training's own account instead, through the gateway's public path (see
services.common.service_identity and jobs.py). Tests replace `peer_clients` with a
provider that mints tokens itself and a transport into the peer's app.

The directory contract assumed here: `GET /persons/{id}` answers
`{"id", "agency_code", "unit_id"}` (404 when unknown), `GET /persons`,
`GET /agencies/{code}/roster` and `GET /agencies` answer pages
`{"items", "next_cursor"}`,
`GET /agencies/{code}/subtree` answers `{"codes": [...]}`, and the service-only
`POST /persons/match` takes `{"purpose", "national_ids": [...]}` and answers
`{"results": [{"index", "status", "person_id", "reason"}, ...]}`, one per number
in order, `status` being `found`, `not_found` or `invalid`. A queued import,
run as training's own account, calls `POST /persons/import-matches` instead:
`{"purpose", "importer", "import_job", "agencies", "national_ids", "person_ids"}`
answered `{"results": [...], "persons": [{"id", "agency_code", "unit_id"}]}`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Literal, TypeVar

import httpx
from fastapi import Request
from pydantic import BaseModel, ValidationError

from services.common.errors import Forbidden, ServiceUnavailable
from services.common.internal_auth import bearer
from services.common.peers import GatewayTokenExchange, PeerClient, PeerSet
from services.common.service_identity import (
    ServiceIdentity,
    ServiceIdentityError,
    client_secret,
    service_account,
)
from services.training.settings import TrainingSettings

M = TypeVar("M", bound=BaseModel)


class Lecturer(BaseModel):
    id: int
    name: str
    active: bool = True


class EngagementRequest(BaseModel):
    class_ref: str
    session_number: int
    lecturer_id: int
    agency_code: str
    held_on: date
    hours: Decimal
    topic: str = ""
    # The lecturer directory searches engagement records by these names.
    class_name: str = ""
    course_name: str = ""


class Engagement(BaseModel):
    id: int
    class_ref: str
    session_number: int
    lecturer_id: int


class DirectoryPerson(BaseModel):
    id: str
    agency_code: str
    unit_id: int | str | None = None


class NationalIdMatch(BaseModel):
    index: int
    status: Literal["found", "not_found", "invalid"]
    person_id: str | None = None
    reason: str | None = None


class _NationalIdMatches(BaseModel):
    results: list[NationalIdMatch]


def _parse(model: type[M], peer: str, response: httpx.Response) -> M:
    try:
        return model.model_validate(response.json())
    except (ValueError, ValidationError):
        raise ServiceUnavailable(f"the {peer} service answered in an unexpected shape") from None


class SpeakersClient:
    def __init__(self, peer: PeerClient) -> None:
        self._peer = peer

    def lecturer(self, lecturer_id: int) -> Lecturer | None:
        response = self._peer.request("GET", f"/lecturers/{lecturer_id}")
        if response.status_code == 404:
            return None
        self._peer.json_or_raise(response)
        return _parse(Lecturer, "speakers", response)

    def record_engagement(self, body: EngagementRequest) -> Engagement:
        response = self._peer.request("POST", "/engagements", json=body.model_dump(mode="json"))
        self._peer.json_or_raise(response)
        return _parse(Engagement, "speakers", response)

    def withdraw_engagement(self, engagement_id: int) -> None:
        response = self._peer.request("DELETE", f"/engagements/{engagement_id}")
        if response.status_code not in (204, 404):
            self._peer.json_or_raise(response)


class _Page(BaseModel):
    next_cursor: str | None = None


class _StaffMember(BaseModel):
    id: str
    agency_code: str
    unit_id: int | str | None = None
    status: str


class _StaffPage(_Page):
    items: list[_StaffMember]


class _RosterEntry(BaseModel):
    id: str
    unit_id: int | str | None = None


class _RosterPage(_Page):
    items: list[_RosterEntry]


class _AgencyCode(BaseModel):
    code: str


class _AgencyPage(_Page):
    items: list[_AgencyCode]


P = TypeVar("P", bound=_Page)

# The directory's largest page: fewest round trips for a big agency.
STAFF_PAGE = 500


class DirectoryClient:
    def __init__(self, peer: PeerClient) -> None:
        self._peer = peer

    def close(self) -> None:
        self._peer.close()

    def person(self, person_id: str) -> DirectoryPerson | None:
        response = self._peer.request("GET", f"/persons/{person_id}")
        if response.status_code == 404:
            return None
        self._peer.json_or_raise(response)
        return _parse(DirectoryPerson, "directory", response)

    def match_national_ids(self, numbers: Sequence[str], purpose: str) -> list[NationalIdMatch]:
        """Which person holds each number, in one call: the directory alone holds the
        key of the national-ID hash. One answer per number, in order."""
        response = self._peer.request(
            "POST", "/persons/match", json={"purpose": purpose, "national_ids": list(numbers)}
        )
        if response.status_code == 403:
            # The importer's role lacks the grant: the caller's problem, not a fault.
            raise Forbidden(
                "the directory refused: matching national IDs needs "
                "directory:persons:match for the agency"
            )
        self._peer.json_or_raise(response)
        results = _parse(_NationalIdMatches, "directory", response).results
        if [r.index for r in results] != list(range(len(numbers))) or any(
            r.status == "found" and not r.person_id for r in results
        ):
            raise ServiceUnavailable("the directory service answered in an unexpected shape")
        return results

    def _pages(
        self, path: str, params: Mapping[str, str], model: type[P], refused: str
    ) -> Iterator[P]:
        """Every page of one of the directory's lists, first to last; a 403 is
        `refused`, the caller's missing grant."""
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while True:
            query = {**params, "limit": str(STAFF_PAGE)}
            if cursor is not None:
                query["cursor"] = cursor
            response = self._peer.request("GET", path, params=query)
            if response.status_code == 403:
                raise Forbidden(f"the directory refused: {refused}")
            self._peer.json_or_raise(response)
            page = _parse(model, "directory", response)
            yield page
            cursor = page.next_cursor
            if cursor is None:
                return
            if cursor in seen_cursors:
                raise ServiceUnavailable("the directory service repeated a page")
            seen_cursors.add(cursor)

    def agency_staff(self, agency_code: str) -> dict[str, str]:
        """The agency's persons in service (person id → unit id, "" when none),
        every page of the directory's list, read on the caller's behalf."""
        staff: dict[str, str] = {}
        pages = self._pages(
            "/persons",
            {"agency": agency_code, "status": "active"},
            _StaffPage,
            "reading the agency's persons needs directory:persons:read for the agency",
        )
        for page in pages:
            for person in page.items:
                # The filter is the directory's; a stray row would misplace a person.
                if person.agency_code != agency_code or person.status != "active":
                    raise ServiceUnavailable(
                        "the directory service answered in an unexpected shape"
                    )
                staff[person.id] = "" if person.unit_id is None else str(person.unit_id)
        return staff

    def agency_roster(self, agency_code: str) -> dict[str, str]:
        """The same as `agency_staff` from the directory's roster of the agency,
        which holds only personnel id and unit: what a caller holding
        `directory:persons:roster` (training's own account) reads."""
        staff: dict[str, str] = {}
        pages = self._pages(
            f"/agencies/{agency_code}/roster",
            {},
            _RosterPage,
            "reading the agency's roster needs directory:persons:roster for the agency",
        )
        for page in pages:
            for person in page.items:
                staff[person.id] = "" if person.unit_id is None else str(person.unit_id)
        return staff

    def agency_codes(self) -> list[str]:
        """Every agency the caller may list, by code, in the directory's order."""
        pages = self._pages(
            "/agencies", {}, _AgencyPage, "listing agencies needs directory:agencies:read"
        )
        return [agency.code for page in pages for agency in page.items]

    def subtree(self, agency_code: str) -> list[str]:
        response = self._peer.request("GET", f"/agencies/{agency_code}/subtree")
        body = self._peer.json_or_raise(response)
        codes = body.get("codes") if isinstance(body, dict) else None
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ServiceUnavailable("the directory service answered in an unexpected shape")
        return list(codes)


class _ImportPerson(BaseModel):
    id: str
    agency_code: str
    unit_id: int | str | None = None


class _ImportMatches(BaseModel):
    results: list[NationalIdMatch]
    persons: list[_ImportPerson]


class ImportDirectoryClient(DirectoryClient):
    """The directory as a queued import reaches it: as training's own account
    (any worker may run the job, long after the importer's token is gone), for
    the importer and within the agencies its job writes for
    (`POST /persons/import-matches`, through the gateway's public path)."""

    def __init__(
        self, peer: PeerClient, *, importer: str, job_id: int, agencies: Sequence[str]
    ) -> None:
        super().__init__(peer)
        self._for = {"importer": importer, "import_job": job_id, "agencies": sorted(agencies)}
        self._purpose = f"training import #{job_id}"

    def _ask(
        self, numbers: Sequence[str], person_ids: Sequence[str], purpose: str
    ) -> _ImportMatches:
        body = {
            **self._for,
            "purpose": purpose,
            "national_ids": list(numbers),
            "person_ids": list(person_ids),
        }
        try:
            response = self._peer.request("POST", "/persons/import-matches", json=body)
        except ServiceIdentityError as exc:
            # No secret, or one the gateway refused: the job says which (no value).
            raise ServiceUnavailable(str(exc)) from None
        if response.status_code == 403:
            detail = None
            if response.headers.get("content-type", "").startswith("application/problem+json"):
                detail = response.json().get("detail")
            # The importer's reach was refused (or training's own grant): the job's
            # problem, said in the directory's words (they name agencies, no person).
            raise Forbidden(f"the directory refused: {detail or 'not allowed'}")
        self._peer.json_or_raise(response)
        return _parse(_ImportMatches, "directory", response)

    def person(self, person_id: str) -> DirectoryPerson | None:
        for found in self._ask((), (person_id,), self._purpose).persons:
            if found.id == person_id:
                return DirectoryPerson(
                    id=found.id, agency_code=found.agency_code, unit_id=found.unit_id
                )
        return None

    def match_national_ids(self, numbers: Sequence[str], purpose: str) -> list[NationalIdMatch]:
        results = self._ask(numbers, (), purpose).results
        if [r.index for r in results] != list(range(len(numbers))) or any(
            r.status == "found" and not r.person_id for r in results
        ):
            raise ServiceUnavailable("the directory service answered in an unexpected shape")
        return results


# Seconds per call of a queued import to the directory through the gateway.
JOB_DIRECTORY_TIMEOUT = 30.0
_identities: dict[tuple[str, str], ServiceIdentity] = {}
_identities_lock = threading.Lock()


def gateway_directory_peer(settings: TrainingSettings) -> PeerClient:
    """The directory through the gateway's public path as `svc.training`; one
    identity (its cached token) per gateway and secret in the process."""
    secret = client_secret(settings)
    key = (settings.gateway_url, secret)
    with _identities_lock:
        identity = _identities.get(key)
        if identity is None:
            identity = _identities[key] = ServiceIdentity(
                service_account(settings.service_name), secret, settings.gateway_url
            )
    return identity.peer("directory", timeout=JOB_DIRECTORY_TIMEOUT)


# How a queued import reaches the directory as training itself. Replaceable: tests
# point it at an in-process gateway.
job_directory_peer: Callable[[TrainingSettings], PeerClient] = gateway_directory_peer


def import_directory(
    settings: TrainingSettings, *, importer: str, job_id: int, agencies: Sequence[str]
) -> ImportDirectoryClient:
    """A queued import's directory client, made when the job first needs it."""
    try:
        peer = job_directory_peer(settings)
    except ServiceIdentityError as exc:
        raise ServiceUnavailable(str(exc)) from None
    return ImportDirectoryClient(peer, importer=importer, job_id=job_id, agencies=agencies)


class Peers(PeerSet):
    """The peers training calls on a caller's behalf."""

    def speakers(self) -> SpeakersClient:
        return SpeakersClient(self.client("speakers"))

    def directory(self) -> DirectoryClient:
        return DirectoryClient(self.client("directory"))


def peer_clients(request: Request) -> Iterator[Peers]:
    """Dependency: peers reached on the caller's behalf through the gateway's exchange."""
    settings: TrainingSettings = request.app.state.settings
    token = bearer(request) or ""
    peers = Peers(settings.peer_urls, GatewayTokenExchange(settings.gateway_url, token))
    try:
        yield peers
    finally:
        peers.close()
