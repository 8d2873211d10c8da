"""WebHR table 51 (專長, expertise): the one place its columns are mapped.

A verified certificate is registered in the personnel database as an
expertise row (domain.md §3, seed 001). The column layout of WebHR's table 51
import is not published: neither the guidance nor any public WebHR document
available to us gives its field names, order or date format. The columns below
are therefore this project's reading of what an expertise row needs, named in
Chinese as a personnel office would read them; when the office has the real
layout, only this tuple changes (and the README table, which a test holds it
to). Dates are ROC dates (`115/03/01`), the form WebHR shows them in.

WebHR keys a person by national ID; the certs service keeps none, so the row
carries renshi's `person_id`, which the office matches to the national ID in
WebHR (or with the directory's match, outside this file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from services.certs.domain.staffing import last_valid_day
from services.certs.domain.talent import CertificateKind
from services.certs.store.staffing import HeldCertificate
from services.common.timeutil import format_roc
from services.common.workbooks import Cell, Column, Table


@dataclass(frozen=True, slots=True)
class Table51Column:
    key: str  # the CSV header
    zh: str  # the WebHR-style column title
    meaning: str
    source: str  # where the value comes from
    format: str
    value: Callable[[HeldCertificate], Cell]


def _roc(day: date | None) -> str:
    return "" if day is None else format_roc(day)


COLUMNS: tuple[Table51Column, ...] = (
    Table51Column(
        "agency_code",
        "機關代碼",
        "agency the certificate is registered in",
        "certificates.agency_code",
        "text",
        lambda h: h.agency_code,
    ),
    Table51Column(
        "person_id",
        "人員代號",
        "the holder (WebHR's national ID is matched by the office)",
        "certificates.person_id",
        "text",
        lambda h: h.person_id,
    ),
    Table51Column(
        "expertise_category",
        "專長類別",
        "AI certificate and its kind",
        "catalogue_versions.kind",
        "text, `AI` + kind (`AI工具類`)",
        lambda h: "AI" + CertificateKind(h.kind).label_zh,
    ),
    Table51Column(
        "expertise_name",
        "專長名稱",
        "the certificate's name",
        "catalogue_versions.name",
        "text",
        lambda h: h.name,
    ),
    Table51Column(
        "level",
        "等級",
        "the certificate's level, in the issuer's words",
        "catalogue_versions.level",
        "text",
        lambda h: h.level,
    ),
    Table51Column(
        "issuer",
        "發證單位",
        "who issued it, as registered",
        "certificates.issuer",
        "text",
        lambda h: h.issuer,
    ),
    Table51Column(
        "certificate_number",
        "證照字號",
        "the issuer's certificate number",
        "certificates.certificate_number",
        "text",
        lambda h: h.certificate_number,
    ),
    Table51Column(
        "obtained_on",
        "取得日期",
        "day obtained",
        "certificates.obtained_on",
        "ROC date `115/03/01`",
        lambda h: _roc(h.obtained_on),
    ),
    Table51Column(
        "valid_until",
        "有效期限",
        "last valid day; empty when it does not lapse",
        "certificates.expires_on − 1 day",
        "ROC date `118/02/28` or empty",
        lambda h: _roc(last_valid_day(h.expires_on)),
    ),
    Table51Column(
        "catalogue_code",
        "證照代碼",
        "renshi's catalogue entry, for reconciliation",
        "catalogue_entries.code",
        "text",
        lambda h: h.code,
    ),
    Table51Column(
        "certificate_id",
        "登錄序號",
        "renshi's certificate id, for reconciliation",
        "certificates.id",
        "integer",
        lambda h: h.id,
    ),
)


def table(rows: list[HeldCertificate]) -> Table:
    return Table(
        [Column(c.key, c.zh, "int" if c.key == "certificate_id" else "text") for c in COLUMNS],
        [[c.value(h) for c in COLUMNS] for h in rows],
    )
