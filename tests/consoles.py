"""Test consoles: a browser's cookie jar and CSRF token against a hub's API."""

from __future__ import annotations

from typing import Any

import aiohttp

PASSWORD = "correct horse battery"


class Console:
    """One browser: a cookie jar, and the CSRF token its sign-in gave."""

    def __init__(self, base: str) -> None:
        """A console for the hub at ``base``, not signed in."""
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def login(
        self, username: str, password: str = PASSWORD, headers: dict[str, str] | None = None
    ) -> int:
        """Sign in (with extra request headers, if given); returns the status."""
        async with self.http.post(
            f"{self.base}/api/v1/auth/login",
            json={"username": username, "password": password},
            headers=headers,
        ) as r:
            if r.status == 200:
                self.csrf = (await r.json())["csrf_token"]
            return r.status

    async def get(self, path: str) -> tuple[int, Any]:
        """GET ``path``: status and JSON."""
        async with self.http.get(f"{self.base}{path}") as r:
            return r.status, await r.json()

    async def post(self, path: str, body: dict[str, Any], *, csrf: bool = True) -> tuple[int, Any]:
        """POST ``path`` (with the CSRF header unless told not to): status and JSON."""
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        async with self.http.post(f"{self.base}{path}", json=body, headers=headers) as r:
            return r.status, await r.json()

    async def close(self) -> None:
        """Close the browser."""
        await self.http.close()
