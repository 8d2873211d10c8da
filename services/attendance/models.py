"""Tables of the attendance database, on a metadata no other service shares."""

from sqlmodel import SQLModel

from services.common.audit import personal_data_reads_table
from services.common.db import new_registry

_registry = new_registry()
metadata = _registry.metadata


class AttendanceTable(SQLModel, registry=_registry):
    """Base class of every attendance table."""


personal_data_reads = personal_data_reads_table(metadata)
