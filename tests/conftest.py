"""Shared fixtures. The suite runs twice: on SQLite and on PostgreSQL (see Makefile)."""

import os
import shutil
from pathlib import Path

import pytest

from articles.vocabulary import loader, sources

ROOT = Path(__file__).resolve().parent.parent
SHARED_EXAMPLES = ROOT.parent / "shared" / "examples"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Templates use {% static %}; tests do not run collectstatic, so skip the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def vocabulary_specs():
    """The full vocabulary as read from the packages and supplement (no database), once."""
    return {
        "drugs": sources.read_drugs(),
        "conditions": sources.read_conditions(),
        "institutions": sources.read_institutions(),
    }


@pytest.fixture
def load_vocabulary_subset(vocabulary_specs):
    """Load only the named entities (by name, any case) into the test database."""

    def load(drugs=(), conditions=(), institutions=()):
        def pick(specs, names):
            wanted = {n.lower() for n in names}
            return {k: s for k, s in specs.items() if s.name.lower() in wanted or k in wanted}

        return loader.load(
            drugs=pick(vocabulary_specs["drugs"], drugs),
            conditions=pick(vocabulary_specs["conditions"], conditions),
            institutions=pick(vocabulary_specs["institutions"], institutions),
        )

    return load


@pytest.fixture
def example_article_path():
    """The real scraped example, read at run time where the shared folder exists."""
    path = SHARED_EXAMPLES / "scraped-article.txt"
    if not path.exists():
        pytest.skip("../shared/examples is not present on this machine")
    return path


@pytest.fixture
def scraped_article_path():
    """A scraped page with its junk around it: the real example where the shared folder exists,
    else one in our own words shaped like it (tests/data/ingest/scraped-jak-story.txt)."""
    path = SHARED_EXAMPLES / "scraped-article.txt"
    return path if path.exists() else ROOT / "tests" / "data" / "ingest" / "scraped-jak-story.txt"


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright; skipped unless REQUIRE_BROWSER=1."""
    required = os.environ.get("REQUIRE_BROWSER") == "1"
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        if required:
            pytest.fail(f"REQUIRE_BROWSER=1 but Chromium is not installed at {CHROMIUM}.")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("REQUIRE_BROWSER=1 but the playwright package is missing.")
        pytest.skip("playwright is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
