"""Settings of the certs service (environment prefix `CERTS_`)."""

from pathlib import Path

from pydantic import Field

from services.common.notices import NoticeDeliverySettings
from services.common.settings import VAR_DIR, ServiceSettings, service_config

# A scanned certificate or a photographed one fits in far less; a cap keeps a
# mistaken upload (a whole album, a video) from filling the storage.
DEFAULT_EVIDENCE_MAX_BYTES = 5 * 1024 * 1024


class CertsSettings(ServiceSettings, NoticeDeliverySettings):
    """The kernel's notice delivery settings (`CERTS_NOTICE_WEBHOOK_URL`,
    `CERTS_SMTP_*`) deliver expiry warnings; certs keeps no e-mail addresses, so
    its warnings leave by the webhook only."""

    model_config = service_config("CERTS_")

    service_name: str = "certs"
    smtp_sender: str = "renshi-certs@localhost"
    # Evidence files, stored by their SHA-256 (`<dir>/ab/cd/abcd…`); a folder
    # under ./var/ for the embedded default, a mounted volume in production.
    storage_dir: Path = VAR_DIR / "certs-evidence"
    evidence_max_bytes: int = Field(default=DEFAULT_EVIDENCE_MAX_BYTES, ge=1)
