"""Registering certificates and deciding on them.

A holder submits their own certificate (or renews one: a new row linked to the
previous, which stays as it was); an HR officer of the holder's agency
verifies or rejects it, and may revoke a verified one; the expiry job marks
lapsed ones expired. Every move is an event row. A certificate of someone
outside the caller's reach reads as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.certs import access
from services.certs.domain import registration, workflow
from services.certs.domain.expiry import expires_on, is_lapsed
from services.certs.domain.workflow import Action, State
from services.certs.models import (
    CatalogueVersion,
    Certificate,
    CertificateEvent,
    personal_data_reads,
)
from services.certs.schemas import (
    CertificateOut,
    CertificateRenew,
    CertificateSubmit,
    EventOut,
    EvidenceOut,
)
from services.certs.store import catalogue as catalogue_store
from services.certs.store import certificates as store
from services.certs.store import person_certificates
from services.common.audit import record_personal_data_read
from services.common.errors import Conflict, FieldError, Invalid
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.reach import scopes
from services.common.service_identity import service_account
from services.common.timeutil import now_utc, today_taipei

RESOURCE = "certificate"
LAPSED_REASON = "validity ended"


def out(certificate: Certificate) -> CertificateOut:
    evidence = None
    if certificate.evidence_sha256 is not None:
        assert certificate.evidence_media_type is not None
        assert certificate.evidence_bytes is not None
        evidence = EvidenceOut(
            sha256=certificate.evidence_sha256,
            media_type=certificate.evidence_media_type,
            bytes=certificate.evidence_bytes,
        )
    data = certificate.model_dump(
        exclude={"evidence_sha256", "evidence_media_type", "evidence_bytes"}
    )
    return CertificateOut(**data, evidence=evidence)


def event_out(event: CertificateEvent) -> EventOut:
    return EventOut.model_validate(event, from_attributes=True)


def version_facts(session: Session, version: CatalogueVersion) -> registration.VersionFacts:
    entry = catalogue_store.entry(session, version.entry_id)
    assert entry is not None
    return registration.VersionFacts(
        retired=entry.retired_at is not None,
        superseded=version.superseded_at is not None,
        recognised_from=version.recognised_from,
        recognised_until=version.recognised_until,
    )


def _version_or_422(session: Session, version_id: int, field: str) -> CatalogueVersion:
    version = catalogue_store.version(session, version_id)
    if version is None:
        raise Invalid(
            "no such catalogue version",
            errors=[FieldError(field=field, reason="no such catalogue version", code="unknown")],
        )
    return version


def _registration_refused(refused: list[tuple[str, str, str]]) -> Invalid:
    return Invalid(
        "the catalogue does not take this certificate: " + "; ".join(r for _, _, r in refused),
        errors=[FieldError(field=f"body.{f}", reason=r, code=c) for f, c, r in refused],
    )


def _number_taken() -> Conflict:
    return Conflict(
        "this issuer's certificate number is registered already",
        errors=[
            FieldError(
                field="body.certificate_number",
                reason="registered already for this issuer",
                code="taken",
            )
        ],
    )


def register(
    session: Session,
    *,
    person_id: str,
    agency_code: str,
    version: CatalogueVersion,
    number: str,
    obtained_on: date,
    actor: str,
    source: str,
    previous_id: int | None = None,
) -> Certificate:
    """A new submitted certificate and its first event; the caller has checked
    the catalogue version. Refuses an issuer's number registered already."""
    assert version.id is not None
    if store.live_by_number(session, version.issuer, number) is not None:
        raise _number_taken()
    certificate = Certificate(
        person_id=person_id,
        agency_code=agency_code,
        catalogue_version_id=version.id,
        issuer=version.issuer,
        certificate_number=number,
        obtained_on=obtained_on,
        expires_on=expires_on(obtained_on, version.validity_months),
        state=State.SUBMITTED.value,
        source=source,
        previous_id=previous_id,
        registered_by=actor,
    )
    session.add(certificate)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _number_taken() from None
    assert certificate.id is not None
    store.add_event(session, certificate.id, None, State.SUBMITTED, actor)
    person_certificates.recount(session, [person_id], today_taipei())
    return certificate


def submit(session: Session, who: Principal, body: CertificateSubmit) -> CertificateOut:
    person_id, agency_code = access.own_holder(who)
    version = _version_or_422(session, body.catalogue_version_id, "body.catalogue_version_id")
    refused = registration.refusals(
        version_facts(session, version), body.obtained_on, today_taipei()
    )
    if body.issuer is not None and body.issuer.strip() != version.issuer:
        refused.append(("issuer", "issuer_mismatch", "not the issuer the catalogue names"))
    if refused:
        raise _registration_refused(refused)
    certificate = register(
        session,
        person_id=person_id,
        agency_code=agency_code,
        version=version,
        number=body.certificate_number.strip(),
        obtained_on=body.obtained_on,
        actor=who.sub,
        source="submitted",
    )
    return out(certificate)


def renew(
    session: Session, who: Principal, certificate_id: int, body: CertificateRenew
) -> CertificateOut:
    """A renewal: a new submitted row whose `previous_id` is the renewed one."""
    previous = access.reached(
        who, access.CERTIFICATES_SUBMIT, store.get(session, certificate_id, for_update=True)
    )
    if State(previous.state) not in workflow.RENEWABLE:
        raise Conflict(
            f"a {previous.state} certificate cannot be renewed",
            errors=[
                FieldError(
                    field="state", reason="only a verified or expired one", code="not_renewable"
                )
            ],
        )
    if store.live_renewal_of(session, certificate_id) is not None:
        raise Conflict(
            "this certificate has a renewal already",
            errors=[FieldError(field="previous_id", reason="renewed already", code="renewed")],
        )
    old_version = catalogue_store.version(session, previous.catalogue_version_id)
    assert old_version is not None
    if body.catalogue_version_id is None:
        version = catalogue_store.current(session, old_version.entry_id)
        assert version is not None
    else:
        version = _version_or_422(session, body.catalogue_version_id, "body.catalogue_version_id")
    refused = registration.refusals(
        version_facts(session, version), body.obtained_on, today_taipei()
    )
    if version.entry_id != old_version.entry_id:
        refused.append(
            ("catalogue_version_id", "other_certificate", "a renewal is of the same certificate")
        )
    if body.obtained_on <= previous.obtained_on:
        refused.append(
            ("obtained_on", "not_after_previous", "a renewal is obtained after the renewed one")
        )
    if refused:
        raise _registration_refused(refused)
    certificate = register(
        session,
        person_id=previous.person_id,
        agency_code=previous.agency_code,
        version=version,
        number=body.certificate_number.strip(),
        obtained_on=body.obtained_on,
        actor=who.sub,
        source="submitted",
        previous_id=certificate_id,
    )
    return out(certificate)


def _refused(refused: list[tuple[str, str, str]]) -> Conflict:
    return Conflict(
        "refused: " + "; ".join(r for _, _, r in refused),
        errors=[FieldError(field=f, reason=r, code=c) for f, c, r in refused],
    )


def decide(
    session: Session, who: Principal, certificate_id: int, action: Action, reason: str | None
) -> CertificateOut:
    """Verify, reject or revoke, by an HR officer of the holder's agency. A
    reason is required to reject or revoke; verifying checks the catalogue
    version again. Every rule broken is named."""
    certificate = access.decider_reach(who, store.get(session, certificate_id, for_update=True))
    assert certificate.id is not None
    state = State(certificate.state)
    broken = workflow.refusals(state, action, reason)
    missing_reason = [b for b in broken if b[1] == "reason_required"]
    if missing_reason and len(broken) == 1:
        # Only the body is wrong: the input's fault, a 422 naming the field.
        field, code, why = missing_reason[0]
        raise Invalid(why, errors=[FieldError(field=field, reason=why, code=code)])
    if action is Action.VERIFY and state is State.SUBMITTED:
        version = catalogue_store.version(session, certificate.catalogue_version_id)
        assert version is not None
        broken += registration.refusals(
            version_facts(session, version), certificate.obtained_on, today_taipei()
        )
    if broken:
        raise _refused(broken)
    target = workflow.next_state(state, action)
    assert target is not None
    certificate.state = target.value
    certificate.decided_by = who.sub
    certificate.decided_at = now_utc()
    certificate.reason = (reason or "").strip() or None
    session.add(certificate)
    store.add_event(session, certificate.id, state, target, who.sub, certificate.reason)
    if target is State.VERIFIED and is_lapsed(certificate.expires_on, today_taipei()):
        # A certificate verified for the record after its validity ended: it is
        # expired at once, as the expiry job would have done, in its name.
        certificate.state = State.EXPIRED.value
        store.add_event(
            session,
            certificate.id,
            State.VERIFIED,
            State.EXPIRED,
            service_account("certs"),
            LAPSED_REASON,
        )
    session.flush()
    person_certificates.recount(session, [certificate.person_id], today_taipei())
    return out(certificate)


def read(session: Session, who: Principal, certificate_id: int) -> CertificateOut:
    certificate = access.reached(who, access.CERTIFICATES_READ, store.get(session, certificate_id))
    record_personal_data_read(session, personal_data_reads, who, [certificate.person_id], RESOURCE)
    return out(certificate)


def events(session: Session, who: Principal, certificate_id: int) -> list[EventOut]:
    certificate = access.reached(who, access.CERTIFICATES_READ, store.get(session, certificate_id))
    record_personal_data_read(
        session, personal_data_reads, who, [certificate.person_id], "certificate-events"
    )
    return [event_out(e) for e in store.events(session, certificate_id)]


def page(
    session: Session,
    who: Principal,
    params: PageParams,
    *,
    person_id: str | None,
    state: State | None,
    agency_code: str | None,
) -> tuple[list[CertificateOut], str | None]:
    held = scopes(who, access.CERTIFICATES_READ)
    rows, cursor = store.page(
        session,
        access.certificates_clause(held),
        params,
        person_id=person_id,
        state=state,
        agency_code=agency_code,
    )
    record_personal_data_read(
        session, personal_data_reads, who, sorted({r.person_id for r in rows}), "certificates"
    )
    return [out(r) for r in rows], cursor


def expire_lapsed(
    session: Session, certificate_ids: Sequence[int], actor: str
) -> list[Certificate]:
    """Mark these lapsed certificates expired, each still verified (one decided
    meanwhile is left as it is); returns those it expired."""
    expired = []
    for certificate_id in certificate_ids:
        certificate = store.get(session, certificate_id, for_update=True)
        if certificate is None or certificate.state != State.VERIFIED.value:
            continue
        certificate.state = State.EXPIRED.value
        session.add(certificate)
        store.add_event(
            session, certificate_id, State.VERIFIED, State.EXPIRED, actor, LAPSED_REASON
        )
        expired.append(certificate)
    session.flush()
    # Its last valid day is past, so the counts stay; their spans are renewed.
    person_certificates.recount(session, [c.person_id for c in expired], today_taipei())
    return expired
