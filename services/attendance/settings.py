"""Settings of the attendance service (environment prefix `ATTENDANCE_`)."""

from services.common.settings import ServiceSettings, service_config


class AttendanceSettings(ServiceSettings):
    model_config = service_config("ATTENDANCE_")

    service_name: str = "attendance"
