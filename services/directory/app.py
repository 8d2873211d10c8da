"""FastAPI factory of the directory service."""

from fastapi import FastAPI

from services.common.app import build_service_app
from services.common.audit_api import personal_data_reads_router
from services.directory.api import ROUTERS, TAGS
from services.directory.models import personal_data_reads
from services.directory.settings import DirectorySettings


def create_app(settings: DirectorySettings | None = None) -> FastAPI:
    settings = settings or DirectorySettings()
    return build_service_app(
        settings,
        [*ROUTERS, personal_data_reads_router("directory", personal_data_reads)],
        title="renshi Directory",
        tags=TAGS,
        description="Agencies, units, persons and accounts: who is who, and who may do what.",
    )
