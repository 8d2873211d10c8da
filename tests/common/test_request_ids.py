"""Minted request ids: a per-process random half and a counter."""

from __future__ import annotations

import os

from services.common.request_context import accept_request_id, new_request_id


def test_minted_ids_are_distinct_and_pass_the_check_on_incoming_ids() -> None:
    minted = [new_request_id() for _ in range(10_000)]
    assert len(set(minted)) == len(minted)
    for rid in minted[:100]:
        assert len(rid) == 32 and int(rid, 16) >= 0
        # Echoed back by a caller, the id is accepted as it is.
        assert accept_request_id(rid) == rid


def test_a_malformed_incoming_id_is_replaced_by_a_minted_one() -> None:
    replaced = accept_request_id("bad id\nwith a line break")
    assert replaced != "bad id\nwith a line break" and len(replaced) == 32


def test_a_forked_child_mints_ids_of_its_own() -> None:
    read, write = os.pipe()
    parent_next = new_request_id()
    pid = os.fork()
    if pid == 0:  # the child: report its first id, and leave at once
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    child_first = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert len(child_first) == 32
    # Another random half: neither the parent's ids nor its next ones.
    assert child_first[:16] != parent_next[:16]
