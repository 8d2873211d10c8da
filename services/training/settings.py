"""Settings of the training service (environment prefix `TRAINING_`)."""

from services.common.settings import ServiceSettings, service_config


class TrainingSettings(ServiceSettings):
    model_config = service_config("TRAINING_")

    service_name: str = "training"
