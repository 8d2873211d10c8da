"""Refuse oversized request headers (431) before anything reads them."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.errors import problem_response


class HeaderSizeMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(k) + len(v) + 4 for k, v in scope["headers"])
            if size > self.max_bytes:
                response = problem_response(
                    431, detail=f"request headers exceed {self.max_bytes} bytes"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
