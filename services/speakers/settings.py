"""Settings of the speakers service (environment prefix `SPEAKERS_`)."""

from services.common.settings import ServiceSettings, service_config


class SpeakersSettings(ServiceSettings):
    model_config = service_config("SPEAKERS_")

    service_name: str = "speakers"
