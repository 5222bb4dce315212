"""The teacher's dashboard (placeholder until the live grid lands)."""

from __future__ import annotations

import contextlib
import html

from starlette.responses import HTMLResponse


def routes() -> list:
    return []


@contextlib.asynccontextmanager
async def lifespan(app):
    yield


def error_page(request, status: int, detail: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=cs><meta charset=utf-8><title>Chyba {status}</title>"
                        f"<p>{html.escape(detail)}</p></html>", status_code=status)
