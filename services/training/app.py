"""FastAPI factory of the training service."""

from fastapi import FastAPI

from services.common.app import build_service_app
from services.common.audit_api import personal_data_reads_router
from services.training.api import (
    TAGS,
    ai_hours,
    catalogue,
    classes,
    imports,
    persons,
    policies,
    records,
    reports,
    roster,
)
from services.training.models import personal_data_reads
from services.training.settings import TrainingSettings


def create_app(settings: TrainingSettings | None = None) -> FastAPI:
    settings = settings or TrainingSettings()
    return build_service_app(
        settings,
        [
            catalogue.router,
            classes.router,
            records.router,
            persons.router,
            imports.router,
            policies.router,
            reports.router,
            roster.router,
            ai_hours.router,
            personal_data_reads_router("training", personal_data_reads),
        ],
        title="renshi Training records",
        tags=TAGS,
        description=(
            "Learning hours, yearly compliance with the AI-literacy minimum, agency "
            "completion rates."
        ),
    )
