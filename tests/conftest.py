"""Shared fixtures. The suite runs twice: on SQLite and on PostgreSQL (see Makefile)."""

import os
import shutil
from pathlib import Path

import pytest

from articles.text import normalize
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
def _empty_caches():
    """Each test starts with empty caches: a rolled-back test leaves the content stamp it found,
    and entries cached under it must not answer the next test."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Templates use {% static %}; tests do not run collectstatic, so skip the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """A transactional test's flush recreates content types under new ids; the cached ids
    (the search index's rows point to them) would be stale in the next test."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


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
            # By name, key or any alias: a form folded into its moiety ("Tenofovir alafenamide")
            # or a combination written "A/B" picks the entity that now answers to it.
            wanted = {n.lower() for n in names}
            normalized = {normalize(n) for n in names}
            return {
                k: s
                for k, s in specs.items()
                if s.name.lower() in wanted or k in wanted or not normalized.isdisjoint(s.aliases)
            }

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


NODE_MODULES = ROOT / "node_modules"  # package.json's test tools, installed by make install-dev (npm ci)


def _test_tool(path, what):
    """A file `make install-dev` installs from npm: failed under REQUIRE_BROWSER=1 when absent, else skipped."""
    if path.exists():
        return path
    message = f"{what} is not installed at {path.relative_to(ROOT)} (make install-dev runs npm ci)."
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def axe_source():
    """The text of axe-core's axe.min.js (npm axe-core, pinned in package.json)."""
    return _test_tool(NODE_MODULES / "axe-core" / "axe.min.js", "axe-core").read_text()


@pytest.fixture(scope="session")
def vnu_command():
    """The Nu HTML checker's command line (npm vnu-jar, pinned in package.json; needs Java)."""
    jar = _test_tool(NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar", "The Nu HTML checker (vnu-jar)")
    java = shutil.which("java")
    if java is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but Java (for the Nu HTML checker) is not installed.")
        pytest.skip("Java is not installed (the Nu HTML checker needs it)")
    return [java, "-jar", str(jar)]


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
