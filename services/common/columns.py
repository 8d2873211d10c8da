"""Column helpers every service's models use, so each table spells a timestamp
and a closed set of values the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field

from services.common.timestamps import UtcDateTime
from services.common.timeutil import now_utc


def utc_column(*, nullable: bool = False) -> Column[datetime]:
    """An aware-UTC timestamp column (`UtcDateTime`)."""
    return Column(UtcDateTime(), nullable=nullable)


def utc_now_field() -> Any:
    """A non-null timestamp that defaults to the moment the row is built."""
    return Field(default_factory=now_utc, sa_column=utc_column())


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """`column IN (values)`, named after the column; the naming convention
    prefixes the table, so migrations can alter it by name."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)
