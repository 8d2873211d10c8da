"""Declared permissions of the directory routes, and the settings they read."""

# No `from __future__ import annotations`: FastAPI resolves these aliases at import.

from typing import Annotated

from fastapi import Depends, Request

from services.common.db import SessionDep
from services.common.permissions import require
from services.common.principal import Principal
from services.common.transactions import begin_immediate
from services.directory import access
from services.directory.settings import DirectorySettings

# The permission names are declared in access.py, beside the reach they
# narrow; here each becomes its routes' dependency. Routers import both from here.
AGENCIES_READ = access.AGENCIES_READ
AGENCIES_WRITE = access.AGENCIES_WRITE
UNITS_WRITE = access.UNITS_WRITE
PERSONS_READ = access.PERSONS_READ
PERSONS_WRITE = access.PERSONS_WRITE
PERSONS_IMPORT = access.PERSONS_IMPORT
PERSONS_MATCH = access.PERSONS_MATCH
PERSONS_IMPORT_MATCH = access.PERSONS_IMPORT_MATCH
PERSONS_ROSTER = access.PERSONS_ROSTER
ACCOUNTS_READ = access.ACCOUNTS_READ
ACCOUNTS_WRITE = access.ACCOUNTS_WRITE
PRINCIPALS_RESOLVE = access.PRINCIPALS_RESOLVE
REVIEWS_READ = access.REVIEWS_READ
REVIEWS_WRITE = access.REVIEWS_WRITE
SEARCH_GRANTS = access.SEARCH_GRANTS

AgenciesReader = Annotated[Principal, Depends(require(AGENCIES_READ, "agency"))]
AgenciesWriter = Annotated[Principal, Depends(require(AGENCIES_WRITE))]
UnitsWriter = Annotated[Principal, Depends(require(UNITS_WRITE, "agency"))]
PersonsReader = Annotated[Principal, Depends(require(PERSONS_READ, "agency", "unit", "self"))]
PersonsWriter = Annotated[Principal, Depends(require(PERSONS_WRITE, "agency"))]
PersonsImporter = Annotated[Principal, Depends(require(PERSONS_IMPORT))]
RosterReader = Annotated[Principal, Depends(require(PERSONS_ROSTER, "agency"))]
PersonsMatcher = Annotated[Principal, Depends(require(PERSONS_MATCH, "agency"))]
ImportMatcher = Annotated[Principal, Depends(require(PERSONS_IMPORT_MATCH))]
AccountsReader = Annotated[Principal, Depends(require(ACCOUNTS_READ, "agency"))]
AccountsWriter = Annotated[Principal, Depends(require(ACCOUNTS_WRITE, "agency"))]
PrincipalResolver = Annotated[Principal, Depends(require(PRINCIPALS_RESOLVE))]
ReviewsReader = Annotated[Principal, Depends(require(REVIEWS_READ, "agency"))]
ReviewsWriter = Annotated[Principal, Depends(require(REVIEWS_WRITE, "agency"))]
SearchGrantor = Annotated[Principal, Depends(require(SEARCH_GRANTS, "agency"))]


def _settings(request: Request) -> DirectorySettings:
    settings = request.app.state.settings
    assert isinstance(settings, DirectorySettings)
    return settings


SettingsDep = Annotated[DirectorySettings, Depends(_settings)]


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _open_for_writing(session: SessionDep) -> None:
    """Open the route's transaction for writing before its first read (BEGIN
    IMMEDIATE on SQLite), so that it waits its turn when another request writes
    (an account look-up recording a use, say) instead of failing with
    SQLITE_BUSY when it comes to write: a transaction that has read cannot
    take the write lock once another connection has committed meanwhile.
    Runs before the route's own dependencies, on the route's own session."""
    begin_immediate(session)


def _writes_open_immediate(request: Request, session: SessionDep) -> None:
    """Every request that changes the directory reads first (is the object
    within reach? what does it hold now?), then writes."""
    if request.method not in READ_ONLY_METHODS:
        _open_for_writing(session)


# For the routers whose writes run in the request's session.
WRITES_OPEN_IMMEDIATE = Depends(_writes_open_immediate)
# For reads that write too: a read of someone's personal data adds its row to
# the read log. On SQLite such reads therefore take turns; a read of one's own
# record writes nothing but takes its turn as well.
OPEN_FOR_WRITING = Depends(_open_for_writing)
