"""Every decimal an operation reads or writes is declared as a decimal string
with its places, so no generated client takes hours or money for a double."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, get_args, get_origin

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from gateway.settings import SERVICES
from services.common.decimals import Decimal2, Decimal4, DecimalOnTheWire


def _app(service: str) -> Any:
    module = importlib.import_module(f"services.{service}.app")
    settings_module = importlib.import_module(f"services.{service}.settings")
    settings_cls = getattr(settings_module, f"{service.capitalize()}Settings")
    return module.create_app(
        settings_cls(database_url="sqlite://", environment="test", internal_public_key="")
    )


def _models_of(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _models_of(arg)


def _bare_decimals(model: type[BaseModel], seen: set[type]) -> Iterator[str]:
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        marked = any(isinstance(m, DecimalOnTheWire) for m in field.metadata)
        if _holds_decimal(field.annotation) and not marked and not _marked_inside(field.annotation):
            yield f"{model.__name__}.{name}"
        for inner in _models_of(field.annotation):
            yield from _bare_decimals(inner, seen)


def _holds_decimal(annotation: Any) -> bool:
    return annotation is Decimal or any(_holds_decimal(a) for a in get_args(annotation))


def _marked_inside(annotation: Any) -> bool:
    """`dict[str, Decimal2]` or `Decimal2 | None`: every decimal inside is marked."""
    origin = get_origin(annotation)
    if origin is None:
        return False
    args = get_args(annotation)
    if getattr(annotation, "__metadata__", None):
        return any(isinstance(m, DecimalOnTheWire) for m in annotation.__metadata__)
    return all(_marked_inside(a) or not _holds_decimal(a) for a in args)


def test_the_checker_sees_a_bare_decimal() -> None:
    class Bare(BaseModel):
        hours: Decimal

    class Marked(BaseModel):
        hours: Decimal2
        share: Decimal4 | None = None
        by_topic: dict[str, Decimal2] = {}

    assert list(_bare_decimals(Bare, set())) == ["Bare.hours"]
    assert list(_bare_decimals(Marked, set())) == []


@pytest.mark.parametrize("service", SERVICES)
def test_no_operation_carries_a_bare_decimal(service: str) -> None:
    app = _app(service)
    bare: list[str] = []
    seen: set[type] = set()
    # The kernel keeps the routers it included (FastAPI nests their routes).
    routes = [r for router in app.state.routers for r in router.routes]
    assert routes, f"{service}: no routes found to check"
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        models = list(_models_of(route.response_model))
        if route.body_field is not None:
            models += list(_models_of(route.body_field.field_info.annotation))
        for model in models:
            bare.extend(_bare_decimals(model, seen))
    app.state.engine.dispose()
    assert not bare, f"declare these as Decimal2/Decimal4 (services.common.decimals): {bare}"
