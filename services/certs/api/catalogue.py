"""The catalogue of recognised certificates: read by everyone who registers or
verifies certificates, kept by catalogue officers."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.certs.access import CatalogueReader, CatalogueWriter
from services.certs.schemas import (
    CatalogueEntryCreate,
    CatalogueEntryOut,
    CatalogueFields,
    CatalogueVersionOut,
)
from services.certs.service import catalogue
from services.common.db import SessionDep, WriteSessionDep
from services.common.errors import CONFLICT_RESPONSES
from services.common.ids import Id
from services.common.pagination import Page, PageDep, whole_page

router = APIRouter(tags=["catalogue"])


@router.get(
    "/catalogue",
    summary="The catalogue's entries, current versions",
    response_model=Page[CatalogueEntryOut],
)
def list_catalogue(
    session: SessionDep,
    _who: CatalogueReader,
    page: PageDep,
    include_retired: Annotated[bool, Query(description="Retired entries too")] = False,
) -> Page[CatalogueEntryOut]:
    items, cursor = catalogue.page(session, page, include_retired=include_retired)
    return Page[CatalogueEntryOut](items=items, next_cursor=cursor, limit=page.limit)


@router.post(
    "/catalogue",
    summary="Add a certificate to the catalogue",
    response_model=CatalogueEntryOut,
    status_code=status.HTTP_201_CREATED,
    responses=CONFLICT_RESPONSES,
)
def add_catalogue_entry(
    body: CatalogueEntryCreate, session: WriteSessionDep, who: CatalogueWriter
) -> CatalogueEntryOut:
    return catalogue.add(session, who, body)


@router.get(
    "/catalogue/{entry_id}", summary="One catalogue entry", response_model=CatalogueEntryOut
)
def get_catalogue_entry(
    entry_id: Id, session: SessionDep, _who: CatalogueReader
) -> CatalogueEntryOut:
    return catalogue.read(session, entry_id)


@router.put(
    "/catalogue/{entry_id}",
    summary="Change a catalogue entry (a new version; certificates keep theirs)",
    response_model=CatalogueEntryOut,
    responses=CONFLICT_RESPONSES,
)
def change_catalogue_entry(
    entry_id: Id, body: CatalogueFields, session: WriteSessionDep, who: CatalogueWriter
) -> CatalogueEntryOut:
    return catalogue.change(session, who, entry_id, body)


@router.post(
    "/catalogue/{entry_id}/retire",
    summary="Retire a catalogue entry: no new registrations or verifications",
    response_model=CatalogueEntryOut,
    responses=CONFLICT_RESPONSES,
)
def retire_catalogue_entry(
    entry_id: Id, session: WriteSessionDep, who: CatalogueWriter
) -> CatalogueEntryOut:
    return catalogue.retire(session, who, entry_id)


@router.get(
    "/catalogue/{entry_id}/versions",
    summary="Every version of a catalogue entry, oldest first",
    response_model=Page[CatalogueVersionOut],
)
def list_catalogue_versions(
    entry_id: Id, session: SessionDep, _who: CatalogueReader
) -> Page[CatalogueVersionOut]:
    return whole_page(catalogue.versions(session, entry_id))


@router.get(
    "/catalogue-versions/{version_id}",
    summary="One catalogue version, as certificates registered against it see it",
    response_model=CatalogueVersionOut,
)
def get_catalogue_version(
    version_id: Id, session: SessionDep, _who: CatalogueReader
) -> CatalogueVersionOut:
    return catalogue.read_version(session, version_id)
