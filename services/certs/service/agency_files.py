"""An agency's staffing files: its talent summary (kind × role) and its WebHR
table 51 rows, over the agency alone or with its subordinates.

The summary counts persons and names none, so it is not a personal-data read.
The table-51 rows name each holder's certificates: the export is logged once
per agency it covers (subject `agency:<code>`), as the training agency report
is, not once per person, which would add a row per holder on every export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from services.certs.clients import Peers
from services.certs.domain.catalogue import Kind
from services.certs.domain.talent import TalentRole
from services.certs.models import personal_data_reads
from services.certs.service.staffing import agencies_asked
from services.certs.staffing_schemas import SummaryRowOut, TalentSummaryOut
from services.certs.store import staffing as store
from services.certs.store.staffing import HeldCertificate
from services.common.audit import record_personal_data_read
from services.common.principal import Principal
from services.common.timeutil import format_roc


def _covered(who: Principal, peers: Peers, code: str, subordinates: bool) -> list[str]:
    covered = agencies_asked(who, peers, [code], subordinates)
    assert covered is not None  # an agency was asked
    return sorted(covered)


def summary(
    session: Session, who: Principal, peers: Peers, code: str, day: date, subordinates: bool
) -> TalentSummaryOut:
    store.plan_serially(session)
    agencies = _covered(who, peers, code, subordinates)
    by_role, by_kind = store.summary_counts(session, agencies, day)
    roles: dict[tuple[str, str], dict[str, int]] = {}
    for agency, kind, role, n in by_role:
        roles.setdefault((agency, kind), {})[role or "no_role"] = n
    persons = {(agency, kind): n for agency, kind, n in by_kind}
    rows = []
    for agency in agencies:
        for kind in Kind:
            counts = roles.get((agency, kind.value), {})
            rows.append(
                SummaryRowOut(
                    agency_code=agency,
                    kind=kind,
                    **{r.value: counts.get(r.value, 0) for r in TalentRole},
                    no_role=counts.get("no_role", 0),
                    persons=persons.get((agency, kind.value), 0),
                )
            )
    return TalentSummaryOut(
        agency_code=code, agencies=agencies, valid_on=day, valid_on_roc=format_roc(day), rows=rows
    )


@dataclass(frozen=True)
class Table51:
    agency_code: str
    agencies: list[str]
    rows: list[HeldCertificate]


def table51(
    session: Session, who: Principal, peers: Peers, code: str, subordinates: bool, today: date
) -> Table51:
    agencies = _covered(who, peers, code, subordinates)
    record_personal_data_read(
        session,
        personal_data_reads,
        who,
        [f"agency:{a}" for a in agencies],
        "webhr table 51",
        f"verified certificates as of {today.isoformat()}",
    )
    return Table51(code, agencies, store.verified_in(session, agencies))
