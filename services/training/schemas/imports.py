"""Bulk import jobs and their per-row errors: the kernel's one job shape."""

from services.common.importing.schemas import ImportJobOut, RowErrorOut

__all__ = ["ImportJobOut", "RowErrorOut"]
