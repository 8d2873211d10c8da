"""Field types shared by the training schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.decimals import Decimal2

AgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,16}$")]
PersonId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,32}$")]
# Lower-case so that it can sit in a permission name: training:imports:<source>.
Source = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_-]{1,31}$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Hours = Annotated[Decimal2, Field(ge=0, le=1000, max_digits=7, decimal_places=2)]
PositiveHours = Annotated[Decimal2, Field(gt=0, le=1000, max_digits=7, decimal_places=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
