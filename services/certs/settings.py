"""Settings of the certs service (environment prefix `CERTS_`)."""

from services.common.settings import ServiceSettings, service_config


class CertsSettings(ServiceSettings):
    model_config = service_config("CERTS_")

    service_name: str = "certs"
