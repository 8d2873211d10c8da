"""The gateway's own endpoints (everything not under `/api/`), one router per concern."""
