"""FastAPI factory of the speakers service."""

from fastapi import FastAPI

from services.common.app import build_service_app
from services.common.audit_api import personal_data_reads_router
from services.speakers.api import TAGS, engagements, imports, lecturers, me, messages, search
from services.speakers.models import personal_data_reads
from services.speakers.settings import SpeakersSettings


def create_app(settings: SpeakersSettings | None = None) -> FastAPI:
    settings = settings or SpeakersSettings()
    return build_service_app(
        settings,
        [
            lecturers.router,
            lecturers.categories_router,
            messages.router,
            engagements.router,
            search.router,
            imports.router,
            me.router,
            personal_data_reads_router("speakers", personal_data_reads),
        ],
        title="renshi Lecturer directory",
        tags=TAGS,
        description=(
            "The shared lecturer directory: lecturers with per-field disclosure consent, "
            "engagement records, Chinese substring search, and a contact relay."
        ),
    )
