"""FastAPI factory of the certs service."""

from fastapi import FastAPI

from services.certs.api import ROUTERS, TAGS
from services.certs.models import personal_data_reads
from services.certs.settings import CertsSettings
from services.common.app import build_service_app
from services.common.audit_api import personal_data_reads_router


def create_app(settings: CertsSettings | None = None) -> FastAPI:
    settings = settings or CertsSettings()
    return build_service_app(
        settings,
        [*ROUTERS, personal_data_reads_router("certs", personal_data_reads)],
        title="renshi AI certificates and talent",
        tags=TAGS,
        description=(
            "The AI certificate catalogue, persons' certificates with their verification "
            "workflow and evidence, and warnings before certificates lapse."
        ),
    )
