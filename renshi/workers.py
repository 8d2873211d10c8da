"""Several gateway workers on one port, each accepting on a socket of its own.

uvicorn's supervisor binds one socket and hands it to every worker: whichever
worker wakes first accepts a burst of new connections, and keep-alive keeps
them there. Measured with wrk's 32 connections opened at once, all 32 went to
one of two workers, and two workers served no more than one. Here each worker
gets its own listening socket bound with SO_REUSEPORT, and the kernel spreads
new connections over them by their addresses.

The supervisor itself holds one socket bound to the port, never listening: it
reserves the port (and fixes it when 0 was asked for) while workers come and
go, and receives no connection, since only listening sockets do.
"""

from __future__ import annotations

import socket
from typing import Any

from uvicorn import Config
from uvicorn.supervisors.multiprocess import Multiprocess


def reuse_port_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class ReusePortWorkers(Multiprocess):
    """uvicorn's supervisor (restarts, signals, health checks), with a fresh
    SO_REUSEPORT socket for each worker it starts.

    The supervisor closes its copy of a worker's socket once the worker is
    started (the child has its own descriptor by then): a copy kept open would
    keep listening after the worker died, and the connections the kernel sent
    there would wait forever."""

    def __init__(self, config: Config) -> None:
        self._reserved = reuse_port_socket(config.host, config.port)
        self.port = int(self._reserved.getsockname()[1])
        self._handed: list[socket.socket] = []
        super().__init__(config, sockets=[])

    # uvicorn's supervisor reads `self.sockets` for each worker it starts.
    @property
    def sockets(self) -> list[socket.socket]:
        sock = reuse_port_socket(self.config.host, self.port)
        self._handed.append(sock)
        return [sock]

    @sockets.setter
    def sockets(self, _given: list[socket.socket]) -> None:
        pass

    def _close_handed(self) -> None:
        handed, self._handed = self._handed, []
        for sock in handed:
            sock.close()

    # Every way the supervisor starts workers, each followed by the close.
    def init_processes(self) -> None:
        try:
            super().init_processes()
        finally:
            self._close_handed()

    def restart_all(self) -> None:
        try:
            super().restart_all()
        finally:
            self._close_handed()

    def keep_subprocess_alive(self) -> None:
        try:
            super().keep_subprocess_alive()
        finally:
            self._close_handed()

    def handle_ttin(self) -> None:
        try:
            super().handle_ttin()
        finally:
            self._close_handed()

    def run(self) -> None:
        try:
            super().run()
        finally:
            self._close_handed()
            self._reserved.close()


def serve_workers(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    config = Config(app, host=host, port=port, workers=workers, **options)
    ReusePortWorkers(config).run()
