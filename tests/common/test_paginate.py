"""`paginate` walks every kind of statement the services list with the same
envelope: `select(Model)`, `select(A, B)` and Core `select(table)`, ascending or
newest first, each row once across the pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlmodel import Session

from services.common.pagination import PageParams, paginate


class _Base(DeclarativeBase):
    metadata = MetaData()


class Shelf(_Base):
    __tablename__ = "shelves"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(10))


class Book(_Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("shelves.id"))


codes = Table("codes", _Base.metadata, Column("code", String(8), primary_key=True))


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Shelf(id=1, label="A"))
        session.add_all([Book(id=i, shelf_id=1) for i in range(1, 8)])
        session.execute(codes.insert(), [{"code": c} for c in "gfedcba"])
        session.flush()
        yield session
    engine.dispose()


def _walk(session: Session, stmt: Any, key: Any, pick: Any, **kw: Any) -> list[list[Any]]:
    pages, cursor = [], None
    while True:
        rows, cursor = paginate(session, stmt, key, PageParams(limit=3, cursor=cursor), **kw)
        pages.append([pick(r) for r in rows])
        if cursor is None:
            return pages


def test_one_class_gives_its_objects(session: Session) -> None:
    pages = _walk(session, select(Book), Book.id, lambda b: b.id)
    assert pages == [[1, 2, 3], [4, 5, 6], [7]]


def test_newest_first(session: Session) -> None:
    pages = _walk(session, select(Book), Book.id, lambda b: b.id, descending=True)
    assert pages == [[7, 6, 5], [4, 3, 2], [1]]


def test_two_classes_give_rows_keyed_by_either(session: Session) -> None:
    stmt = select(Book, Shelf).join(Shelf, Shelf.id == Book.shelf_id)
    pages = _walk(session, stmt, Book.id, lambda r: (r[0].id, r[1].label))
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [book for page in pages for book, _ in page] == list(range(1, 8))


def test_core_table_gives_rows_with_a_string_key(session: Session) -> None:
    pages = _walk(session, select(codes), codes.c.code, lambda r: r._mapping["code"])
    assert pages == [["a", "b", "c"], ["d", "e", "f"], ["g"]]


def test_a_full_last_page_has_no_next_cursor(session: Session) -> None:
    rows, cursor = paginate(session, select(Book), Book.id, PageParams(limit=7, cursor=None))
    assert len(rows) == 7 and cursor is None
