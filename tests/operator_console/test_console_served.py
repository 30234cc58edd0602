"""The hub serves the console: its page, its modules, and headers that keep it to its origin."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import pytest

if TYPE_CHECKING:
    from fix_hub import RunningHub

pytestmark = pytest.mark.mqtt5  # the hub speaks MQTT 5 only

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; media-src 'self' blob: mediastream:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


async def test_the_page_and_its_modules_come_with_a_strict_policy(hub: RunningHub) -> None:
    """The page at / and its files under /console/ carry their types, the CSP and nosniff."""
    async with aiohttp.ClientSession() as http:
        for path, content_type in [
            ("/", "text/html"),
            ("/console/app.js", "text/javascript"),
            ("/console/locales/it.js", "text/javascript"),
            ("/console/console.css", "text/css"),
            ("/console/favicon.svg", "image/svg+xml"),
            ("/console/vendor/uplot/uPlot.esm.js", "text/javascript"),
            ("/console/vendor/uplot/uPlot.min.css", "text/css"),
        ]:
            async with http.get(f"{hub.url}{path}") as response:
                assert response.status == 200, path
                assert response.content_type == content_type, path
                assert response.headers["Content-Security-Policy"] == POLICY
                assert response.headers["X-Content-Type-Options"] == "nosniff"
        async with http.get(f"{hub.url}/") as response:
            page = await response.text()
        assert '<script type="module" src="/console/app.js"></script>' in page
        assert "<script>" not in page
        assert " style=" not in page


async def test_nothing_else_is_served_from_the_console_folder(hub: RunningHub) -> None:
    """Paths out of the folder, hidden files, unknown file types and bad names are 404."""
    async with aiohttp.ClientSession() as http:
        for path in [
            "/console/../hub/app.py",
            "/console/%2e%2e/pyproject.toml",
            "/console/.hidden.js",
            "/console/nothing-here.js",
            "/console/locales",
            "/console//etc/passwd",
            "/console/a%00.js",
        ]:
            async with http.get(f"{hub.url}{path}") as response:
                assert response.status == 404, path
        async with http.get(f"{hub.url}/console/", allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (302, "/")
