"""Settings of the speakers service (environment prefix `SPEAKERS_`)."""

from services.common.notices import NoticeDeliverySettings
from services.common.settings import ServiceSettings, service_config


class SpeakersSettings(ServiceSettings, NoticeDeliverySettings):
    """The kernel's notice delivery settings (`SPEAKERS_NOTICE_WEBHOOK_URL`,
    `SPEAKERS_SMTP_*`) deliver relayed messages to lecturers' own addresses."""

    model_config = service_config("SPEAKERS_")

    service_name: str = "speakers"
    smtp_sender: str = "renshi-speakers@localhost"
    # The contact relay's limits per sender: enough to write to a handful of
    # lecturers while planning a class, too few to mass-mail the directory.
    messages_per_hour: int = 5
    messages_per_day: int = 20
