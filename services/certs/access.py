"""Who may act on what in the certs service.

Which scopes a principal holds, and whether a refusal is 403 or 404, is the
kernel's (`services.common.reach`). Here `…:agency` reaches the certificates of
holders registered in the agencies of the principal's scope, `…:self` the
principal's own certificates. A certificate is verified, rejected or revoked
by an HR officer of the holder's agency, never by the holder.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import col

from services.certs.models import Certificate
from services.common.errors import Forbidden, NotFound
from services.common.permissions import require
from services.common.principal import Principal
from services.common.reach import Scopes, outside, scopes

CATALOGUE_READ = "certs:catalogue:read"
CATALOGUE_WRITE = "certs:catalogue:write"
CERTIFICATES_READ = "certs:certificates:read"
CERTIFICATES_SUBMIT = "certs:certificates:submit"
# Deciding on certificates: verify, reject, revoke (HR officers).
CERTIFICATES_WRITE = "certs:certificates:write"
CERTIFICATES_IMPORT = "certs:certificates:import"
WARNINGS_READ = "certs:warnings:read"
WARNINGS_WRITE = "certs:warnings:write"
# AI talent profiles: roles by duties, stage, readiness, promotion points.
TALENT_READ = "certs:talent:read"
TALENT_WRITE = "certs:talent:write"
POINTS_WRITE = "certs:points:write"

CatalogueReader = Annotated[Principal, Depends(require(CATALOGUE_READ))]
CatalogueWriter = Annotated[Principal, Depends(require(CATALOGUE_WRITE))]
CertificateReader = Annotated[Principal, Depends(require(CERTIFICATES_READ, "self", "agency"))]
CertificateSubmitter = Annotated[Principal, Depends(require(CERTIFICATES_SUBMIT, "self"))]
CertificateDecider = Annotated[Principal, Depends(require(CERTIFICATES_WRITE, "agency"))]
CertificateImporter = Annotated[Principal, Depends(require(CERTIFICATES_IMPORT))]
WarningsReader = Annotated[Principal, Depends(require(WARNINGS_READ, "agency"))]
WarningsWriter = Annotated[Principal, Depends(require(WARNINGS_WRITE, "agency"))]
TalentReader = Annotated[Principal, Depends(require(TALENT_READ, "self", "agency"))]
TalentWriter = Annotated[Principal, Depends(require(TALENT_WRITE, "agency"))]
# An agency's points table and stage rules are read by its HR officers
# (agency-wide talent reads).
AgencyTalentReader = Annotated[Principal, Depends(require(TALENT_READ, "agency"))]
PointsReader = AgencyTalentReader
PointsWriter = Annotated[Principal, Depends(require(POINTS_WRITE, "agency"))]

NOT_FOUND = "no such certificate"
NO_PERSON = "no such person"


def covers(held: Scopes, certificate: Certificate) -> bool:
    """Whether the scopes of one family reach `certificate`."""
    return held.covers_agency(certificate.agency_code) or (
        held.person_id is not None and held.person_id == certificate.person_id
    )


def certificates_clause(held: Scopes) -> ColumnElement[bool]:
    """The certificates the scopes reach, for list queries."""
    if held.everything:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if held.agencies:
        conditions.append(col(Certificate.agency_code).in_(sorted(held.agencies)))
    if held.person_id is not None:
        conditions.append(col(Certificate.person_id) == held.person_id)
    return or_(*conditions) if conditions else false()


def reached(principal: Principal, family: str, certificate: Certificate | None) -> Certificate:
    """`certificate` when `family` reaches it; otherwise the kernel's refusal
    (403 without any scope of it, 404 outside it, as for a missing one)."""
    held = scopes(principal, family)
    if certificate is None or not covers(held, certificate):
        raise outside(held, NOT_FOUND)
    return certificate


def decider_reach(principal: Principal, certificate: Certificate | None) -> Certificate:
    """A decision is an agency-level act: only the agency-wide scopes of
    `certs:certificates:write` reach it, and never on one's own certificate."""
    held = scopes(principal, CERTIFICATES_WRITE).agency_wide()
    if certificate is None or not held.covers_agency(certificate.agency_code):
        raise outside(held, NOT_FOUND)
    if principal.person_id is not None and principal.person_id == certificate.person_id:
        raise Forbidden("nobody verifies, rejects or revokes their own certificate")
    return certificate


def own_holder(principal: Principal) -> tuple[str, str]:
    """The holder and agency one's own submission is registered under."""
    if principal.person_id is None or principal.agency_code is None:
        raise NotFound("no person belongs to this account")
    return principal.person_id, principal.agency_code


def person_reached(
    principal: Principal, family: str, person_id: str, agency_code: str | None
) -> str:
    """The person's agency when `family` reaches a person of `agency_code` (the
    one the certs service has on record), or the principal's own person;
    otherwise the kernel's refusal (403 without any scope, 404 outside it, as
    for a person nobody knows)."""
    held = scopes(principal, family)
    if held.person_id is not None and held.person_id == person_id:
        return agency_code or principal.agency_code or ""
    if agency_code is None or not held.covers_agency(agency_code):
        raise outside(held, NO_PERSON)
    return agency_code


def agency_person_reached(principal: Principal, family: str, agency_code: str | None) -> None:
    """An agency-level act on a person (assigning a role): only the agency-wide
    scopes of `family` reach it; a person of another agency is not found."""
    held = scopes(principal, family).agency_wide()
    if agency_code is None or not held.covers_agency(agency_code):
        raise outside(held, NO_PERSON)


# --- staffing: search, team proposals, agency summaries and exports (HR officers)

STAFFING_READ = "certs:staffing:read"
StaffingReader = Annotated[Principal, Depends(require(STAFFING_READ, "agency"))]
