"""Declared permissions of the directory routes, and the settings they read."""

# No `from __future__ import annotations`: FastAPI resolves these aliases at import.

from typing import Annotated

from fastapi import Depends, Request

from services.common.db import SessionDep
from services.common.permissions import require
from services.common.principal import Principal
from services.directory.service.transactions import begin_immediate
from services.directory.settings import DirectorySettings

AGENCIES_READ = "directory:agencies:read"
AGENCIES_WRITE = "directory:agencies:write"
UNITS_WRITE = "directory:units:write"
PERSONS_READ = "directory:persons:read"
PERSONS_WRITE = "directory:persons:write"
PERSONS_IMPORT = "directory:persons:import"
PERSONS_MATCH = "directory:persons:match"
# Who works where (personnel id and unit of persons in service), nothing else:
# what a roster copied into another service needs.
PERSONS_ROSTER = "directory:persons:roster"
ACCOUNTS_READ = "directory:accounts:read"
ACCOUNTS_WRITE = "directory:accounts:write"
PRINCIPALS_RESOLVE = "directory:principals:resolve"
REVIEWS_READ = "directory:reviews:read"
REVIEWS_WRITE = "directory:reviews:write"

AgenciesReader = Annotated[Principal, Depends(require(AGENCIES_READ, "agency"))]
AgenciesWriter = Annotated[Principal, Depends(require(AGENCIES_WRITE))]
UnitsWriter = Annotated[Principal, Depends(require(UNITS_WRITE, "agency"))]
PersonsReader = Annotated[Principal, Depends(require(PERSONS_READ, "agency", "unit", "self"))]
PersonsWriter = Annotated[Principal, Depends(require(PERSONS_WRITE, "agency"))]
PersonsImporter = Annotated[Principal, Depends(require(PERSONS_IMPORT))]
RosterReader = Annotated[Principal, Depends(require(PERSONS_ROSTER, "agency"))]
PersonsMatcher = Annotated[Principal, Depends(require(PERSONS_MATCH, "agency"))]
AccountsReader = Annotated[Principal, Depends(require(ACCOUNTS_READ, "agency"))]
AccountsWriter = Annotated[Principal, Depends(require(ACCOUNTS_WRITE, "agency"))]
PrincipalResolver = Annotated[Principal, Depends(require(PRINCIPALS_RESOLVE))]
ReviewsReader = Annotated[Principal, Depends(require(REVIEWS_READ, "agency"))]
ReviewsWriter = Annotated[Principal, Depends(require(REVIEWS_WRITE, "agency"))]


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
