"""Settings of the directory service (environment prefix `DIRECTORY_`)."""

from services.common.settings import ServiceSettings, service_config


class DirectorySettings(ServiceSettings):
    model_config = service_config("DIRECTORY_")

    service_name: str = "directory"
