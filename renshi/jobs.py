"""Scheduled jobs, found in each service's `jobs.py` (a `JOBS` mapping of name →
callable taking no arguments and returning a short summary dict)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from gateway.settings import SERVICES

Job = Callable[[], dict[str, Any]]


def registry() -> dict[str, Job]:
    jobs: dict[str, Job] = {}
    for service in SERVICES:
        try:
            module = importlib.import_module(f"services.{service}.jobs")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{service}.jobs":
                raise
            continue
        for name, job in getattr(module, "JOBS", {}).items():
            jobs[f"{service}.{name}"] = job
    return jobs
