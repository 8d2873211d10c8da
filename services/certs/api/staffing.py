"""Staffing (盤點並調度內部AI戰力): the search, the team proposal, and an agency's
summary and WebHR table 51 files. All for HR officers of the agencies in scope
(`certs:staffing:read:agency`)."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import Response

from services.certs import exports, webhr_table51
from services.certs.access import StaffingReader
from services.certs.clients import Peers, peer_clients
from services.certs.domain.catalogue import Kind, TalentRole
from services.certs.domain.staffing import SortKey
from services.certs.domain.talent import Level
from services.certs.schemas import CODE_PATTERN, Day
from services.certs.service import agency_files, staffing, team_proposal
from services.certs.staffing_schemas import (
    AgencyCount,
    CandidateOut,
    HeldCertificateOut,
    SlotOut,
    StaffingPersonOut,
    StaffingSearchPage,
    TalentSummaryOut,
    TeamProposalAsk,
    TeamProposalOut,
)
from services.certs.store.staffing import HeldCertificate
from services.certs.talent_schemas import LevelName
from services.common.db import SessionDep, WriteSessionDep
from services.common.downloads import (
    CSV_MEDIA_TYPE,
    JSON_MEDIA_TYPE,
    NOT_ACCEPTABLE_RESPONSE,
    XLSX_MEDIA_TYPE,
    attachment,
    choose,
    file_get,
    format_description,
)
from services.common.errors import CONFLICT_RESPONSES, PROBLEM_RESPONSES
from services.common.pagination import PageDep
from services.common.timeutil import today_taipei
from services.common.workbooks import to_csv

router = APIRouter(tags=["staffing"])
PeersDep = Annotated[Peers, Depends(peer_clients)]
AgencyPath = Annotated[str, Path(min_length=1, max_length=16)]
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]
OFFERED = (JSON_MEDIA_TYPE, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE)
DIRECTORY_DOWN: dict[int | str, dict[str, Any]] = {
    503: {
        **PROBLEM_RESPONSES[500],
        "description": "The directory is needed for subordinates and cannot be reached",
    },
}
Subordinates = Annotated[
    bool,
    Query(description="With the agency's subordinates (asks the directory); the agency alone"),
]


def _level(level: LevelName | None) -> Level | None:
    return None if level is None else Level[level.name]


def held_out(h: HeldCertificate) -> HeldCertificateOut:
    return HeldCertificateOut(
        certificate_id=h.id,
        catalogue_code=h.code,
        name=h.name,
        kind=Kind(h.kind),
        level=h.level,
        level_order=LevelName(h.level_rank),
        obtained_on=h.obtained_on,
        expires_on=h.expires_on,
    )


# ------------------------------------------------------------------ search


@router.get(
    "/staffing/persons",
    summary="Search the persons of one's agencies by AI role, certificate, level and AI hours",
    description=(
        "Finds the persons working in the agencies of the caller's scope (as the nightly "
        "pull from training last said) who meet every filter given: a live talent role "
        "among `role`; a certificate valid on `valid_on` (verified, obtained by then, not "
        "lapsed) that is of a `kind` given, of a `catalogue_code` given and at least "
        "`min_level` — one certificate meeting all three; at least `min_ai_hours` AI "
        "hours in `year`; working in `agency_code` (with its subordinates when asked) "
        "and `unit_id`. A repeated filter (`role=policy&role=research`) means any of "
        "them. Sorted by `sort` (`ai_hours` or `certificates`: most first; `person_id`), "
        "ties by person id; `total` and `agency_counts` count every page. Each person "
        "listed is written to the personal-data read log."
    ),
    response_model=StaffingSearchPage,
    responses={**DIRECTORY_DOWN, **CONFLICT_RESPONSES},
)
def search_staffing(
    session: WriteSessionDep,
    who: StaffingReader,
    peers: PeersDep,
    page: PageDep,
    role: Annotated[list[TalentRole] | None, Query(description="Any of these roles")] = None,
    kind: Annotated[
        list[Kind] | None, Query(description="A certificate of any of these kinds")
    ] = None,
    catalogue_code: Annotated[
        list[Annotated[str, Query(pattern=CODE_PATTERN)]] | None,
        Query(max_length=50, description="A certificate of any of these catalogue entries"),
    ] = None,
    min_level: Annotated[
        LevelName | None, Query(description="A certificate of this level or above")
    ] = None,
    valid_on: Annotated[
        Day | None, Query(description="Taipei day certificates must be valid on; today")
    ] = None,
    year: Annotated[
        int | None, Query(ge=1912, le=9999, description="Year of the AI hours; valid_on's")
    ] = None,
    min_ai_hours: Annotated[
        Decimal | None,
        Query(ge=0, le=10000, max_digits=7, decimal_places=2, description="AI hours at least"),
    ] = None,
    agency_code: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
    subordinates: Subordinates = False,
    unit_id: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    sort: Annotated[
        SortKey, Query(description="ai_hours, certificates (most first) or person_id")
    ] = SortKey.AI_HOURS,
) -> StaffingSearchPage:
    ask = staffing.SearchAsk(
        roles=frozenset(r.value for r in role or ()),
        kinds=frozenset(k.value for k in kind or ()),
        codes=frozenset(catalogue_code or ()),
        min_level=_level(min_level),
        valid_on=valid_on,
        year=year,
        min_ai_hours=min_ai_hours,
        agency_code=agency_code,
        subordinates=subordinates,
        unit_id=unit_id,
        sort=sort,
    )
    result = staffing.search(session, who, peers, ask, page, today_taipei())
    return StaffingSearchPage(
        items=[
            StaffingPersonOut(
                person_id=r.person.person_id,
                agency_code=r.person.agency_code,
                unit_id=r.person.unit_id,
                roles=[TalentRole(x) for x in r.roles],
                certificates=[held_out(h) for h in r.certificates],
                ai_hours=Decimal(r.person.ai_centi).scaleb(-2),
            )
            for r in result.rows
        ],
        next_cursor=result.next_cursor,
        limit=page.limit,
        total=result.total,
        agency_counts=[AgencyCount(agency_code=a, persons=n) for a, n in result.per_agency],
        valid_on=result.day,
        year=result.year,
    )


# ---------------------------------------------------------- team proposal


def _candidate(rank: int, c: Any, role: str, year: int) -> CandidateOut:
    return CandidateOut(
        rank=rank,
        person_id=c.person_id,
        agency_code=c.agency_code,
        unit_id=c.unit_id,
        role_certificates=list(c.role_certificates),
        best_level=None if c.best_level is None else LevelName(c.best_level.name.lower()),
        ai_hours=Decimal(c.ai_centi).scaleb(-2),
        stage=c.stage,
        stage_reason=c.stage_reason,
        reasons=c.reasons(role, year),
    )


@router.post(
    "/staffing/team-proposals",
    summary="Propose a team: ranked candidates for each slot of a wanted composition",
    description=(
        'Given slots (`{"role": "development", "count": 2}`, …) and optional '
        "agencies, certificate kinds or entries, AI hours at least and a day, answers for "
        "each slot the persons placed and further alternates, ranked by the best level of "
        "their valid certificates supporting the slot's role, how many they hold, their AI "
        "hours, then person id, with the reasons and their learning-path stage. Slots are "
        "filled scarcest first; a person is placed in one slot only unless "
        "`allow_repeats`. A slot that cannot be filled says how many seats are empty and "
        "why. Nothing is stored; the persons proposed are written to the personal-data "
        "read log."
    ),
    response_model=TeamProposalOut,
    responses={**DIRECTORY_DOWN, **CONFLICT_RESPONSES},
)
def propose_team(
    body: TeamProposalAsk, session: WriteSessionDep, who: StaffingReader, peers: PeersDep
) -> TeamProposalOut:
    answer = team_proposal.propose(session, who, peers, body, today_taipei())
    slots = []
    for s in answer.proposal.slots:
        placed = [_candidate(i, c, s.slot.role, answer.year) for i, c in enumerate(s.placed, 1)]
        more = [
            _candidate(len(placed) + i, c, s.slot.role, answer.year)
            for i, c in enumerate(s.alternates, 1)
        ]
        slots.append(
            SlotOut(
                index=s.index,
                role=TalentRole(s.slot.role),
                wanted=s.slot.count,
                placed=placed,
                alternates=more,
                eligible=s.eligible,
                shortfall=s.shortfall,
                unfilled_reason=s.unfilled_reason,
                fill_order=s.fill_order,
            )
        )
    return TeamProposalOut(
        complete=answer.proposal.complete,
        valid_on=answer.day,
        year=answer.year,
        agencies=None if answer.agencies is None else sorted(answer.agencies),
        slots=slots,
    )


# ---------------------------------------------------------- agency summary


def summary_out(
    agency_code: AgencyPath,
    session: SessionDep,
    who: StaffingReader,
    peers: PeersDep,
    valid_on: Annotated[Day | None, Query(description="Taipei day; today")] = None,
    subordinates: Subordinates = False,
) -> TalentSummaryOut:
    """The summary every representation renders: filters and permission once."""
    day = valid_on or today_taipei()
    return agency_files.summary(session, who, peers, agency_code, day, subordinates)


SummaryDep = Annotated[TalentSummaryOut, Depends(summary_out)]


def _summary_file(report: TalentSummaryOut, media_type: str) -> Response:
    if media_type == CSV_MEDIA_TYPE:
        name = exports.summary_file_name(report, "csv")
        return attachment(to_csv(exports.summary_table(report)), media_type, name)
    name = exports.summary_file_name(report, "xlsx")
    return attachment(exports.summary_xlsx(report), media_type, name)


SUMMARY_NAME = "`certs-talent-summary-<agency>-as-of-<day>.<ext>`"


@router.get(
    "/agencies/{agency_code}/staffing-summary",
    summary="An agency's certificate holders by certificate kind × AI-talent role",
    description=(
        "Per agency covered and certificate kind: the persons working there holding a "
        "certificate of that kind valid on `valid_on`, by live talent role (a person of "
        "two roles in each), with no role, and in all (each person once). Counts only, "
        "no person named. The files are `…/staffing-summary.csv` and "
        "`…/staffing-summary.xlsx`; for older callers this path still answers them for "
        "the deprecated `format` or an `Accept` preferring them, and 406 when `Accept` "
        "allows none of the three."
    ),
    response_model=TalentSummaryOut,
    responses={**NOT_ACCEPTABLE_RESPONSE, **DIRECTORY_DOWN},
)
def get_staffing_summary(
    report: SummaryDep,
    accept: AcceptHeader = None,
    file_format: Annotated[
        Literal["json", "csv", "xlsx"] | None,
        Query(
            alias="format",
            deprecated=True,
            description=format_description("`…/staffing-summary.csv`, `…/staffing-summary.xlsx`"),
        ),
    ] = None,
) -> Any:
    chosen = choose(file_format, accept, OFFERED)
    return report if chosen == JSON_MEDIA_TYPE else _summary_file(report, chosen)


@file_get(
    router,
    "/agencies/{agency_code}/staffing-summary.csv",
    summary="An agency's certificate holders by kind × role, as CSV",
    description=(
        "Columns: agency_code, kind, kind_zh, policy, application, development, research, "
        f"no_role, persons; UTF-8 with a BOM. The file is named {SUMMARY_NAME}."
    ),
    media_type=CSV_MEDIA_TYPE,
    what="The summary as CSV",
    responses=DIRECTORY_DOWN,
)
def get_staffing_summary_csv(report: SummaryDep) -> Response:
    return _summary_file(report, CSV_MEDIA_TYPE)


@file_get(
    router,
    "/agencies/{agency_code}/staffing-summary.xlsx",
    summary="An agency's certificate holders by kind × role, as a workbook with a chart",
    description=(
        "The CSV's table with bilingual headers, a summary sheet (agency, agencies "
        "counted, day ISO and ROC), and the holders per kind and role charted on a sheet "
        f"of its own. The file is named {SUMMARY_NAME}."
    ),
    media_type=XLSX_MEDIA_TYPE,
    what="The summary as an XLSX workbook",
    responses=DIRECTORY_DOWN,
)
def get_staffing_summary_xlsx(report: SummaryDep) -> Response:
    return _summary_file(report, XLSX_MEDIA_TYPE)


# -------------------------------------------------------------- table 51

TABLE51_COLUMNS = ", ".join(c.key for c in webhr_table51.COLUMNS)


@file_get(
    router,
    "/agencies/{agency_code}/webhr-table51.csv",
    summary="The agency's verified certificates as WebHR table 51 (專長) rows, as CSV",
    description=(
        f"One row per verified certificate registered in the agency. Columns: "
        f"{TABLE51_COLUMNS}; dates as ROC dates (`115/03/01`); UTF-8 with a BOM. The "
        "exact WebHR import layout is not public: the README lists each column's meaning, "
        "source and format, and services/certs/webhr_table51.py maps them in one place. "
        "The file is named `webhr-table51-<agency>-<day>.csv`. The export is written to "
        "the personal-data read log once per agency covered."
    ),
    media_type=CSV_MEDIA_TYPE,
    what="Table 51 rows as CSV",
    responses={
        **DIRECTORY_DOWN,
        **CONFLICT_RESPONSES,
    },
)
def get_webhr_table51_csv(
    agency_code: AgencyPath,
    session: WriteSessionDep,
    who: StaffingReader,
    peers: PeersDep,
    subordinates: Subordinates = False,
) -> Response:
    today = today_taipei()
    rows = agency_files.table51(session, who, peers, agency_code, subordinates, today)
    name = f"webhr-table51-{agency_code}-{today.isoformat()}.csv"
    return attachment(to_csv(webhr_table51.table(rows.rows)), CSV_MEDIA_TYPE, name)
