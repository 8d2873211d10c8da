"""HTTP routers of the directory service: HTTP in, schemas out."""

from fastapi import APIRouter

from services.directory.api.accounts import router as accounts
from services.directory.api.agencies import router as agencies
from services.directory.api.import_match import router as import_match
from services.directory.api.person_import import router as person_import
from services.directory.api.person_match import router as person_match
from services.directory.api.persons import router as persons
from services.directory.api.principals import router as principals
from services.directory.api.reviews import router as reviews
from services.directory.api.search_grants import router as search_grants

# The imports before the persons: `/persons/imports` is no `/persons/{person_id}`.
ROUTERS: tuple[APIRouter, ...] = (
    agencies,
    person_import,
    persons,
    person_match,
    import_match,
    accounts,
    reviews,
    search_grants,
    principals,
)


# Each tag's description, in the order the published document lists them.
TAGS: dict[str, str] = {
    "agencies": "Agencies (機關) and their units: codes, types, the parent of each agency.",
    "persons": (
        "Civil servants (公務人員): opaque ids, agency and unit, masked national IDs, imports."
    ),
    "accounts": "Accounts, their roles and client secrets: who may sign in and do what.",
    "account-reviews": (
        "Periodic account reviews (帳號審查): keep or revoke each account of an agency."
    ),
    "search-grants": (
        "Delegated lecturer search (授權查詢人員): training officers grant staff search "
        "access within their agency's quota."
    ),
}
