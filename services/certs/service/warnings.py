"""The expiry job's work: certificates whose validity ended are marked expired
(and their holders told), and holders are warned at their agency's lead times
before a certificate lapses.

Each notice has a dedupe key — `lead:<days>:<certificate>` for a warning,
`expired:<certificate>` for the lapse — so that a second run on the same data
stores, and so sends, nothing again. Of the lead times reached, only the
shortest is sent (see `domain.expiry.due_warning`): a run after a gap does not
send three warnings at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from services.certs.domain.expiry import due_warning
from services.certs.models import DEFAULT_AGENCY, Certificate, Notice
from services.certs.service.certificates import expire_lapsed
from services.certs.store import certificates as store
from services.certs.store import lead_times
from services.common.notices import store as notices_store


def _notice(
    certificate: Certificate, kind: str, key: str, today: date, subject: str, body: dict[str, Any]
) -> dict[str, Any]:
    assert certificate.id is not None
    return {
        "recipient_id": certificate.person_id,
        "agency_code": certificate.agency_code,
        "certificate_id": certificate.id,
        "kind": kind,
        "dedupe_key": key,
        "issued_on": today,
        "subject": subject,
        "body": body,
    }


def _facts(certificate: Certificate) -> dict[str, Any]:
    assert certificate.expires_on is not None
    return {
        "certificate_id": certificate.id,
        "issuer": certificate.issuer,
        "expires_on": certificate.expires_on.isoformat(),
        "last_valid_day": (certificate.expires_on - timedelta(days=1)).isoformat(),
    }


def lapsed_ids(session: Session, today: date) -> list[int]:
    return store.lapsed_ids(session, today)


def expire_and_tell(
    session: Session, today: date, actor: str, certificate_ids: Sequence[int]
) -> dict[str, int]:
    """Mark these lapsed certificates expired, with a notice to each holder."""
    expired = expire_lapsed(session, certificate_ids, actor)
    notices = [
        _notice(
            certificate,
            "certificate_expired",
            f"expired:{certificate.id}",
            today,
            f"Certificate {certificate.issuer} expired on {certificate.expires_on}",
            _facts(certificate),
        )
        for certificate in expired
    ]
    return {
        "expired": len(expired),
        "expiry_notices": notices_store.add_new(session, Notice, notices),
    }


def lead_time_warnings(session: Session, today: date) -> dict[str, int]:
    """Warnings to holders whose certificate lapses within a lead time of their agency."""
    leads = lead_times.all_rows(session)
    default = leads.get(DEFAULT_AGENCY, [])
    longest = max([*(d for days in leads.values() for d in days), 0])
    notices = []
    for certificate in store.expiring(session, today, today + timedelta(days=longest)):
        lead = due_warning(
            certificate.expires_on, today, leads.get(certificate.agency_code, default)
        )
        if lead is None:
            continue
        assert certificate.expires_on is not None
        notices.append(
            _notice(
                certificate,
                "certificate_expiring",
                f"lead:{lead}:{certificate.id}",
                today,
                f"Certificate {certificate.issuer} expires on {certificate.expires_on} "
                f"(in {(certificate.expires_on - today).days} days)",
                {**_facts(certificate), "lead_days": lead},
            )
        )
    return {"warnings": notices_store.add_new(session, Notice, notices)}
