"""The search index holds only what lecturers hold now: a replaced value finds
no one at once and leaves the index with its last link, whether the lecturer
was corrected, hid a record or had one withdrawn; a value still held elsewhere
stays; and a value linked by one writer while another removes it survives."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from services.common.transactions import batch_transaction
from services.speakers.models import Lecturer, SearchGram, SearchLink, SearchValue
from services.speakers.store import search_index
from tests.speakers.conftest import OFFICER, Call, add_engagement, add_lecturer, lecturer_account


def _names(call: Call, **terms: str) -> list[str]:
    response = call("GET", "/search", OFFICER, params=terms)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def _values(engine: Any) -> set[tuple[str, str]]:
    with Session(engine) as session:
        return {
            (field, norm)
            for field, norm in session.execute(
                select(col(SearchValue.field), col(SearchValue.norm))
            )
        }


def _orphans(engine: Any) -> int:
    """Grams or values without a lecturer holding their value: always none."""
    with Session(engine) as session:
        held = select(col(SearchLink.value_id))
        grams = session.scalar(
            select(func.count())
            .select_from(SearchGram)
            .where(col(SearchGram.value_id).not_in(held))
        )
        values = session.scalar(
            select(func.count()).select_from(SearchValue).where(col(SearchValue.id).not_in(held))
        )
    return int(grams or 0) + int(values or 0)


def test_a_corrected_expertise_no_longer_finds_the_lecturer(call, apps):
    engine = apps["speakers"].state.engine
    changed = add_lecturer(call, name="林資安", expertise=["資通安全", "人工智慧"])
    add_lecturer(call, name="高倫理", expertise=["人工智慧"])
    assert _names(call, expertise="資通") == ["林資安"]
    patched = call("PATCH", f"/lecturers/{changed}", OFFICER, json={"expertise": ["政策規劃"]})
    assert patched.status_code == 200
    assert _names(call, expertise="資通") == []
    assert _names(call, expertise="政策") == ["林資安"]
    # 人工智慧 is still another lecturer's: it stays, and finds only that one.
    assert _names(call, expertise="人工") == ["高倫理"]
    values = _values(engine)
    assert ("expertise", "資通安全") not in values
    assert ("expertise", "人工智慧") in values
    assert _orphans(engine) == 0


def test_a_renamed_lecturer_is_found_by_the_new_name_only(call, apps):
    lecturer = add_lecturer(call, name="王大明")
    call("PATCH", f"/lecturers/{lecturer}", OFFICER, json={"name": "王小明"})
    assert _names(call, name="大明") == []
    assert _names(call, name="小明") == ["王小明"]
    assert ("name", "王大明") not in _values(apps["speakers"].state.engine)


def test_a_hidden_or_withdrawn_record_takes_its_names_out(call, apps):
    engine = apps["speakers"].state.engine
    lecturer = add_lecturer(call, name="周講座", person_id="P-ZHOU")
    hidden = add_engagement(call, lecturer, 1, course_name="資安治理", class_name="資安班")
    withdrawn = add_engagement(call, lecturer, 2, course_name="數位治理", class_name="數位班")
    assert _names(call, course_name="治理") == ["周講座"]
    hide = call(
        "PATCH", f"/me/engagements/{hidden}", lecturer_account("P-ZHOU"), json={"hidden": True}
    )
    assert hide.status_code == 200
    assert _names(call, course_name="資安") == []
    assert ("course", "資安治理") not in _values(engine)
    assert call("DELETE", f"/engagements/{withdrawn}", OFFICER).status_code == 204
    assert _names(call, course_name="治理") == []
    assert _names(call, class_name="班") == []
    assert ("course", "數位治理") not in _values(engine)
    assert _orphans(engine) == 0
    # Shown again, the record brings its names back.
    call("PATCH", f"/me/engagements/{hidden}", lecturer_account("P-ZHOU"), json={"hidden": False})
    assert _names(call, course_name="資安") == ["周講座"]


def test_a_value_linked_while_its_last_holder_lets_go_survives(call, apps):
    """One transaction removes the last link of 資通安全 and the value with it;
    another links a second lecturer to the same value meanwhile. Whichever
    gets there first, both commit and the value ends up held and findable."""
    engine = apps["speakers"].state.engine
    first = add_lecturer(call, name="甲講座", expertise=["資通安全"])
    second = add_lecturer(call, name="乙講座", expertise=["政策規劃"])
    errors: list[BaseException] = []
    removing = threading.Event()

    def link_second() -> None:
        try:
            removing.wait()
            with batch_transaction(engine, write_lock=True) as session:
                lecturer = session.get(Lecturer, second)
                assert lecturer is not None
                lecturer.expertise = ["資通安全"]
                session.add(lecturer)
                search_index.reindex(session, second)
        except BaseException as exc:
            errors.append(exc)

    other = threading.Thread(target=link_second)
    other.start()
    with batch_transaction(engine, write_lock=True) as session:
        lecturer = session.get(Lecturer, first)
        assert lecturer is not None
        lecturer.expertise = []
        session.add(lecturer)
        search_index.reindex(session, first)
        removing.set()
    other.join()
    assert errors == []
    assert _names(call, expertise="資通") == ["乙講座"]
    assert _orphans(engine) == 0
