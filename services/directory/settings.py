"""Settings of the directory service (environment prefix `DIRECTORY_`)."""

from pydantic import Field

from services.common.settings import ServiceSettings, is_placeholder, service_config

# Good enough for a laptop or the test suite; refused in production so that
# national-ID hashes are never keyed with a value published in this repository.
DEVELOPMENT_NATIONAL_ID_KEY = "renshi-development-only-national-id-key"


class DirectorySettings(ServiceSettings):
    model_config = service_config("DIRECTORY_")

    service_name: str = "directory"
    # Key of the HMAC-SHA256 kept for matching national IDs across imports.
    # Rotating it makes every stored hash unmatchable: plan a re-import.
    national_id_key: str = DEVELOPMENT_NATIONAL_ID_KEY
    # Account review: an account unused for longer than this many days is
    # reported as idle (DIRECTORY_REVIEW_IDLE_DAYS); a request may ask for another.
    review_idle_days: int = Field(default=90, ge=1, le=3650)

    def secret_problems(self) -> list[str]:
        problems = super().secret_problems()
        key = self.national_id_key
        if is_placeholder(key) or key == DEVELOPMENT_NATIONAL_ID_KEY:
            problems.append("national_id_key")
        return problems
