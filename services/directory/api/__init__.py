"""HTTP routers of the directory service: HTTP in, schemas out."""

from fastapi import APIRouter

from services.directory.api.accounts import router as accounts
from services.directory.api.agencies import router as agencies
from services.directory.api.person_import import router as person_import
from services.directory.api.person_match import router as person_match
from services.directory.api.persons import router as persons
from services.directory.api.principals import router as principals
from services.directory.api.reviews import router as reviews
from services.directory.api.search_grants import router as search_grants

ROUTERS: tuple[APIRouter, ...] = (
    agencies,
    persons,
    person_import,
    person_match,
    accounts,
    reviews,
    search_grants,
    principals,
)
