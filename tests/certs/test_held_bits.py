"""`held_bits`: a person holding any certificate of the asked versions has one
of its bits set, so testing them first never drops a person the per-certificate
condition would find; and where `certificate_bits` is exact, it is that."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.certs.domain.staffing import (
    KIND_ORDER,
    ROLE_ORDER,
    VersionFacts,
    certificate_bits,
    held_bits,
    version_bits,
)
from services.certs.domain.talent import Level

versions = st.lists(
    st.builds(
        VersionFacts,
        id=st.integers(min_value=1, max_value=40),
        code=st.sampled_from(("a", "b", "c", "d")),
        kind=st.sampled_from((*KIND_ORDER, "other")),
        rank=st.sampled_from(tuple(Level)),
        roles=st.lists(st.sampled_from(ROLE_ORDER), unique=True).map(tuple),
    ),
    max_size=12,
    unique_by=lambda v: v.id,
)


@given(versions, st.data())
def test_every_holder_of_an_asked_version_has_a_held_bit(facts, data) -> None:
    asked = frozenset(data.draw(st.sets(st.sampled_from([v.id for v in facts] or [0]))))
    bits = held_bits(facts, asked)
    if any(v.id in asked and v.kind not in KIND_ORDER for v in facts):
        assert bits is None
        return
    assert bits is not None
    for v in facts:
        if v.id in asked:
            # A person holding v valid on the day has all of v's bits set.
            assert version_bits(v) & bits
    exact = certificate_bits(facts, asked)
    if exact is not None:
        assert exact == bits
