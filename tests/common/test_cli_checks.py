"""`renshi token` and `renshi up` refuse what would only fail later."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from renshi.cli import main
from services.common.db import make_engine
from services.directory import demo
from tests.databases import fresh_database


@pytest.fixture
def demo_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_database("directory", tmp_path) as url:
        engine = make_engine(url)
        with Session(engine) as session:
            demo.seed_demo(session)
            session.commit()
        engine.dispose()
        monkeypatch.setenv("DIRECTORY_DATABASE_URL", url)
        yield url


def test_token_for_an_unknown_account_is_refused(demo_directory, capsys) -> None:
    assert main(["token", "--account", "nobody.here"]) == 2
    assert "no account 'nobody.here'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("account", "minutes", "longest"),
    [("hr.a01", 61, 60), ("hr.a01", 0, 60), ("importer.elearn", 16, 15)],
)
def test_token_lifetime_beyond_the_gateways_maximum_is_refused(
    demo_directory, capsys, account: str, minutes: int, longest: int
) -> None:
    assert main(["token", "--account", account, "--minutes", str(minutes)]) == 2
    assert f"between 1 and {longest}" in capsys.readouterr().err


def _below_ephemeral_range() -> int:
    """The first port the system hands out to clients and to bind(port 0).

    Other tests here start live servers on system-chosen ports and open client
    connections; both take ports from this range, so a port picked from it may
    be taken by a neighbour at any moment.
    """
    try:
        low = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]
        return int(low)
    except (OSError, IndexError, ValueError):
        return 32768


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _held_pair() -> tuple[socket.socket, socket.socket]:
    """Two listening sockets on ports N and N+3, with N+1, N+2, N+4 and N+5 free.

    N is drawn below the ephemeral range so that no neighbouring test's client
    connection or live server takes N+1..N+5 while the check runs.
    """
    rng = random.Random()
    top = _below_ephemeral_range() - 6
    for _ in range(200):
        base = rng.randrange(20000, top)
        if not all(_free(base + step) for step in (1, 2, 4, 5)):
            continue
        holder, other = socket.socket(), socket.socket()
        try:
            holder.bind(("127.0.0.1", base))
            other.bind(("127.0.0.1", base + 3))
        except OSError:
            holder.close()
            other.close()
            continue
        holder.listen()
        other.listen()
        return holder, other
    raise AssertionError("no free run of six ports found")


def test_up_names_every_taken_port_before_starting(capsys) -> None:
    holder, other = _held_pair()
    with holder, other:
        base = holder.getsockname()[1]
        assert main(["up", "--port", str(base)]) == 2
    err = capsys.readouterr().err
    assert f"{base} (gateway)" in err and f"{base + 3} (certs)" in err
    assert f"{base + 1} (directory)" not in err
    assert "--port" in err
