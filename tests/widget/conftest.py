"""Fixtures for the widget's browser tests: the widget built from the current
source, Debian's Chromium, and the real server on a real SQLite file."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.support.server import Running, prepare_db, running_server
from tests.widget.browser import chromium, chromium_available, new_context
from tests.widget.widget import Widget

HERE = Path(__file__).resolve().parent
WIDGET = HERE.parents[1] / "clients" / "widget"
SOURCES = ("src", "static", "build.mjs", "package.json", "package-lock.json")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are `slow` (pyproject.toml): `-m "not slow"` skips them."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)


def _newest_source() -> float:
    newest = 0.0
    for name in SOURCES:
        path = WIDGET / name
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


@pytest.fixture(scope="session")
def widget_dist() -> Path:
    """clients/widget/dist, rebuilt when any source is newer than the bundle."""
    if not chromium_available():
        pytest.skip("Debian's Chromium is not installed (make chromium)")
    bundle = WIDGET / "dist" / "vard-chat.js"
    if bundle.exists() and bundle.stat().st_mtime >= _newest_source():
        return bundle.parent
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so clients/widget cannot be built")
    if not (WIDGET / "node_modules").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WIDGET, check=True)
    subprocess.run([npm, "run", "build"], cwd=WIDGET, check=True)
    return bundle.parent


@pytest.fixture
async def browser(widget_dist: Path) -> AsyncIterator[Browser]:
    async with chromium() as (_, launched):
        yield launched


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the demo staff, made once: hashing their
    passwords (argon2) is most of a server's start-up time."""
    path = tmp_path_factory.mktemp("template") / "db.sqlite3"
    prepare_db(str(path))
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    """A fresh database file for one test, copied from the template."""
    path = tmp_path / "db.sqlite3"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture
async def server(db_path: Path) -> AsyncIterator[Running]:
    async with running_server(db_path) as srv:
        yield srv


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A phone-sized page; any uncaught script error fails the test."""
    context = await new_context(browser)
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda e: errors.append(str(e)))
    yield opened
    await context.close()
    assert errors == [], f"script errors in the widget: {errors}"


@pytest.fixture
async def widget(page: Page, server: Running) -> Widget:
    w = Widget(page, server.base)
    await w.open()
    return w
