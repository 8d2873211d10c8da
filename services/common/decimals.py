"""Decimals on the wire: strings of digits, declared as such.

Hours, money and shares are exact decimals here (0.1 + 0.2 hours is 0.3).
A JSON number becomes an IEEE double in JavaScript and in most generated
clients, which would round them on the way in; so the API writes each decimal
as a string (pydantic's default) and the document says so precisely: type
string, `format: decimal`, a pattern, and the places it carries. Input takes a
number or such a string.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class DecimalOnTheWire:
    """Marks a `Decimal` field: its JSON schema is a decimal string with at most
    `places` decimal places (as output), a number or such a string (as input)."""

    def __init__(self, places: int) -> None:
        self.places = places

    def _string(self) -> dict[str, Any]:
        return {
            "type": "string",
            "format": "decimal",
            "pattern": rf"^-?\d+(\.\d{{1,{self.places}}})?$",
            "x-decimal-places": self.places,
        }

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if handler.mode == "serialization":
            kept = {k: v for k, v in schema.items() if k in {"title", "description", "default"}}
            return {**kept, **self._string()}
        # Validation: pydantic offers a number or a string; the string gets the shape.
        variants = schema.get("anyOf")
        if isinstance(variants, list):
            schema["anyOf"] = [
                {**v, **self._string()} if v.get("type") == "string" else v for v in variants
            ]
        return schema

    def __hash__(self) -> int:
        return hash(self.places)


# Two places: hours and NT$ amounts. Four: shares and rates (0.8750).
Decimal2 = Annotated[Decimal, DecimalOnTheWire(2)]
Decimal4 = Annotated[Decimal, DecimalOnTheWire(4)]
