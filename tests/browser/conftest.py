"""The dashboard in a real browser: Debian's Chromium against the real server.

Never ``playwright install``: the browser is the system's /usr/bin/chromium.
Without it the tests skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Route, async_playwright

from domain.apikeys import create_api_key
from domain.models import Community, Role
from tests.api.conftest import (  # `engagement serve`, for real
    server,  # noqa: F401
    serving,
)
from tests.browser import dataset
from tests.conftest import DemoRun, backend, in_ci

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
DOCS_SHOT = ROOT / "docs" / "dashboard.png"
LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM}: apt-get install -y chromium"
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Dashboard:
    """The page, the server behind it, and the API to check it against."""

    page: Page
    context: BrowserContext
    base: str
    secret: str
    community: Community | None = None
    problems: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    async def api(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of ``query`` asked of the server directly, as the viewer."""
        async with httpx.AsyncClient(base_url=self.base) as client:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {self.secret}"},
            )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]

    async def sign_in(self, secret: str | None = None) -> None:
        await self.page.goto(self.base + "/")
        await self.page.get_by_label("Viewer API key").fill(secret or self.secret)
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.locator("#summary[aria-busy=false]").wait_for()
        await self.page.locator("#customers[aria-busy=false]").wait_for()

    async def shot(self, name: str, *, full_page: bool = True) -> Path:
        path = OUTPUT / backend() / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def publish(self, shot: Path) -> None:
        """Copy a screenshot to docs/ when UPDATE_SCREENSHOTS=1 asks for it."""
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            DOCS_SHOT.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, DOCS_SHOT)

    def assert_clean(self) -> None:
        """No script error, no CSP violation, nothing fetched from elsewhere."""
        assert self.problems == []
        assert self.blocked == []


async def _launch(pw: Any, chromium: Path, profile: Path) -> BrowserContext:
    return await pw.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(chromium),
        headless=True,
        args=ARGS,
        locale="en-US",
        # Not the community's zone: the page must cut days in Chicago time.
        timezone_id="Asia/Tokyo",
        viewport=LAPTOP,
        reduced_motion="reduce",
    )


def _watch(board: Dashboard) -> None:
    def console(message: Any) -> None:
        if message.type == "error":
            board.problems.append(message.text)

    board.page.on("console", console)
    board.page.on("pageerror", lambda error: board.problems.append(str(error)))


async def _only_this_server(board: Dashboard) -> None:
    async def refuse(route: Route) -> None:
        board.blocked.append(route.request.url)
        await route.abort()

    await board.context.route(lambda url: not url.startswith(board.base + "/"), refuse)


@pytest.fixture
async def dashboard(
    db: str,
    server: tuple[str, Path],  # noqa: F811  (the fixture imported above)
    chromium: Path,
    tmp_path: Path,
) -> AsyncIterator[Dashboard]:
    """The seeded community, the real server, and a fresh browser profile."""
    community = await dataset.seed()
    viewer = await create_api_key(community.id, Role.VIEWER)
    async with async_playwright() as pw:
        context = await _launch(pw, chromium, tmp_path / "profile")
        await context.clock.set_fixed_time(dataset.NOW)
        page = context.pages[0] if context.pages else await context.new_page()
        board = Dashboard(page, context, server[0], viewer.secret, community)
        _watch(board)
        await _only_this_server(board)
        try:
            yield board
        finally:
            await context.close()


@pytest.fixture
async def demo_dashboard(
    demo_run: DemoRun, chromium: Path, tmp_path: Path
) -> AsyncIterator[Dashboard]:
    """The demo's data, served for real, and the demo's own viewer key."""
    secret = re.search(r"Viewer key:\s+(\S+)", demo_run.stdout)
    assert secret is not None, "the demo printed no viewer key"
    as_of = datetime.combine(demo_run.as_of, time(12), tzinfo=UTC)
    with serving(demo_run.database_url, tmp_path / "server.log") as base:
        async with async_playwright() as pw:
            context = await _launch(pw, chromium, tmp_path / "profile")
            await context.clock.set_fixed_time(as_of)
            page = context.pages[0] if context.pages else await context.new_page()
            board = Dashboard(page, context, base, secret[1])
            _watch(board)
            await _only_this_server(board)
            try:
                yield board
            finally:
                await context.close()
