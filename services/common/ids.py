"""Integer ids: one bounded type for every id a client sends, in a path, a query
or a body.

Every table keys its rows by an INTEGER column: 64 bits on SQLite, but 32 on
PostgreSQL (SERIAL), so the bound is PostgreSQL's 2^31 - 1. A larger number
cannot name a row, and handed to the database it overflows the driver (a 500 on
SQLite past 2^63) or the column (a 500 on PostgreSQL past 2^31, found by
fuzzing); checked here, it is a 422 naming the field before any query runs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1

# Ids start at 1 (autoincrement and SERIAL both do): 0 and negatives name nothing.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
