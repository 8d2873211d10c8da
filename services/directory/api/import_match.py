"""Matching for a queued import that its service runs as itself.

`POST /persons/import-matches` is the gateway-routed counterpart of the
service-only `/persons/match`: a job has no caller whose token could be
exchanged, so it asks as its service's own account, naming the importer and
the agencies its job writes for; the directory answers within the importer's
reach and those agencies only (see `service/import_match.py`). The permission
is granted by service roles alone, and the gateway's peer policy lets only the
training service's account call it.
"""

from fastapi import APIRouter

from services.common.db import SessionDep
from services.common.errors import PROBLEM_RESPONSES
from services.directory.api.deps import WRITES_OPEN_IMMEDIATE, ImportMatcher, SettingsDep
from services.directory.schemas import ImportMatchReport, ImportMatchRequest
from services.directory.service import import_match

router = APIRouter(tags=["persons"], dependencies=[WRITES_OPEN_IMMEDIATE])


@router.post(
    "/persons/import-matches",
    summary="Match national IDs and persons for an import job (service accounts only)",
    description=(
        "For a service's queued import, run by the service's own account: national "
        "IDs matched to personnel ids, and persons' agency and unit, within the "
        "agencies named, each of which must be within the importer's reach "
        "(`directory:persons:match` for numbers, `directory:persons:read` for "
        "persons), else 403. Logged as read by the service account for the importer "
        "and its job; the numbers are never stored, logged or echoed."
    ),
    response_model=ImportMatchReport,
    responses={403: PROBLEM_RESPONSES[403], 422: PROBLEM_RESPONSES[422]},
)
def match_for_import(
    session: SessionDep,
    principal: ImportMatcher,
    settings: SettingsDep,
    body: ImportMatchRequest,
) -> ImportMatchReport:
    return import_match.match_for_import(session, principal, body, settings.national_id_key)
