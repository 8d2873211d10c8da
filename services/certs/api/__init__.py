"""Routers of the certs service: HTTP in, schemas out; the work is in `service/`."""

from fastapi import APIRouter

from services.certs.api.catalogue import router as catalogue
from services.certs.api.certificates import router as certificates
from services.certs.api.evidence import router as evidence
from services.certs.api.imports import router as imports
from services.certs.api.notices import router as notices
from services.certs.api.promotion_points import router as promotion_points
from services.certs.api.staffing import router as staffing
from services.certs.api.talent import agencies as talent_agencies
from services.certs.api.talent import router as talent
from services.certs.api.warnings import router as warnings

ROUTERS: tuple[APIRouter, ...] = (
    catalogue,
    certificates,
    evidence,
    imports,
    warnings,
    notices,
    talent,
    talent_agencies,
    promotion_points,
    staffing,
)

# Each tag's description, in the order the published document lists them.
TAGS: dict[str, str] = {
    "catalogue": (
        "The recognised AI certificates (issuer, kind, level, talent roles, validity), "
        "kept by catalogue officers; every change is a new version."
    ),
    "certificates": (
        "Persons' certificates: submitted by the holder, verified or rejected by an HR "
        "officer of the holder's agency, renewed as a new linked row."
    ),
    "evidence": "The scanned certificate: PDF, PNG or JPEG, stored by its SHA-256.",
    "imports": "Certificates imported in bulk, idempotent by issuer and certificate number.",
    "warnings": "How many days before a certificate lapses its holder is warned, per agency.",
    "notices": "Warnings to a holder: a certificate about to lapse, or lapsed.",
    "talent": (
        "A person's AI talent profile: roles by duties (policy, application, development, "
        "research) with their history, the learning-path stage, and the readiness view."
    ),
    "promotion-points": (
        "Promotion points for AI knowledge (陞任評分): each agency's table per year, and "
        "a person's points under it with the caps applied."
    ),
    "staffing": (
        "Taking stock of and deploying the agencies' AI strength: search persons by role, "
        "certificate and AI hours, propose a team, and the agency's summary and WebHR "
        "table 51 files."
    ),
}
