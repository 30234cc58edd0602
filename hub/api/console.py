"""The operator console's files, served by the hub under a strict Content-Security-Policy.

The console (``operator_console/`` at the top of the source tree) is plain HTML, CSS and ES
modules with no build step, so the hub hands the files out as they are: the page at ``/``,
everything else under ``/console/``. Only known file types are served, each with its content
type (``.js`` as ``text/javascript``, which module scripts need) and ``nosniff``; nothing
outside the folder and no hidden file. The policy lets the page load and connect to its own
origin only (the WebSocket included), play the call's audio from ``blob:``/``mediastream:``,
and run no inline script or style: the console works on a closed network, and a value shown
in it can never become code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import structlog
from aiohttp import web

log = structlog.get_logger(__name__)

CONSOLE_DIR: Final = Path(__file__).resolve().parents[2] / "operator_console"
"""Where the console's files are in the source tree."""
CONSOLE_PREFIX: Final = "/console/"
INDEX: Final = "index.html"

CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}
"""The file types the console is made of; anything else is not served."""

CSP_DIRECTIVES: Final = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    # 'self' covers ws: and wss: to the same host and port (CSP Level 3).
    "connect-src 'self'",
    "media-src 'self' blob: mediastream:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY: Final = "; ".join(CSP_DIRECTIVES)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Revalidated on every load (a 304 when unchanged): a new hub version's console is
    # never mixed with the old one's modules.
    "Cache-Control": "no-cache",
}

CONSOLE_ROOT: Final = web.AppKey("console_root", Path)


def add_console_routes(app: web.Application, root: Path = CONSOLE_DIR) -> None:
    """Serve the console in ``root``: its page at ``/``, its files under ``/console/``."""
    app[CONSOLE_ROOT] = root.resolve()
    if not (root / INDEX).is_file():
        log.warning("console_missing", root=str(root))
    app.router.add_get("/", _index)
    app.router.add_get("/console", _to_index)
    app.router.add_get(CONSOLE_PREFIX + "{path:.*}", _asset)


async def _index(request: web.Request) -> web.StreamResponse:
    return _file(request.app[CONSOLE_ROOT], INDEX)


async def _to_index(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/")


async def _asset(request: web.Request) -> web.StreamResponse:
    wanted = request.match_info["path"]
    if wanted in {"", INDEX}:
        raise web.HTTPFound("/")
    return _file(request.app[CONSOLE_ROOT], wanted)


def _file(root: Path, wanted: str) -> web.FileResponse:
    """The file ``wanted`` under ``root`` with its type and the security headers; else 404."""
    parts = wanted.split("/")
    if any(not part or part.startswith(".") for part in parts):
        raise web.HTTPNotFound
    try:
        path = (root / wanted).resolve()
        content_type = CONTENT_TYPES.get(path.suffix)
        found = content_type is not None and path.is_relative_to(root) and path.is_file()
    except (ValueError, OSError) as err:  # a NUL byte or a name the system refuses
        raise web.HTTPNotFound from err
    if not found or content_type is None:
        raise web.HTTPNotFound
    return web.FileResponse(path, headers={"Content-Type": content_type, **SECURITY_HEADERS})
