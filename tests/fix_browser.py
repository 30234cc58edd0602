"""Fixtures: Debian's Chromium driven by Playwright, one browser per test, screenshots kept.

Never a browser Playwright downloads: ``chromium`` (or ``chromium-browser``) from PATH, with a
fake microphone that needs no permission prompt. Without it the browser tests are skipped with
that reason, except under ``CI=true``, where a missing browser fails them. Screenshots go to
``test-artifacts/<test name>/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import async_playwright

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from playwright.async_api import Browser

CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def chromium_path() -> str | None:
    """Debian's Chromium on PATH, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def chromium_executable() -> str:
    """The browser to drive; skips (or fails under CI=true) when there is none."""
    path = chromium_path()
    if path is None:
        why = "Debian's chromium is not installed (make test installs it when run as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {why}")
        pytest.skip(why)
    return path


@pytest.fixture
async def browser(chromium_executable: str) -> AsyncIterator[Browser]:
    """A headless Chromium for this test, closed afterwards."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """A folder of this test's own under test-artifacts/ for screenshots."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
