"""Settings of the attendance service (environment prefix `ATTENDANCE_`)."""

from services.common.settings import ServiceSettings, service_config


class AttendanceSettings(ServiceSettings):
    model_config = service_config("ATTENDANCE_")

    service_name: str = "attendance"
    # Where notices are POSTed as JSON, one request per notice; empty: no webhook.
    notice_webhook_url: str = ""
    notice_webhook_timeout: float = 5.0
    # SMTP relay for notices to people whose roster row has an e-mail; empty: no mail.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_sender: str = "renshi-attendance@localhost"
    smtp_timeout: float = 10.0
