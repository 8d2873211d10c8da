"""Settings of the attendance service (environment prefix `ATTENDANCE_`)."""

from services.common.notices import NoticeDeliverySettings
from services.common.settings import ServiceSettings, service_config


class AttendanceSettings(ServiceSettings, NoticeDeliverySettings):
    """The kernel's notice delivery settings (`ATTENDANCE_NOTICE_WEBHOOK_URL`,
    `ATTENDANCE_SMTP_*`) deliver comp-time notices to the people on the roster."""

    model_config = service_config("ATTENDANCE_")

    service_name: str = "attendance"
    smtp_sender: str = "renshi-attendance@localhost"
