"""Declared permissions of the directory routes, and the settings they read."""

# No `from __future__ import annotations`: FastAPI resolves these aliases at import.

from typing import Annotated

from fastapi import Depends, Request

from services.common.permissions import require
from services.common.principal import Principal
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
