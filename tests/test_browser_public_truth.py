"""Issue 14 public items in Chromium, with screenshots in test-artifacts/: a syndicated copy
states its origin once (item 7), the MeSH tree's counts never grow downwards (item 8)."""

import re

import pytest

from .searchkit import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def site(live_server, load_vocabulary_subset):
    return live_server, build_world(load_vocabulary_subset)


def test_copy_states_its_origin_once_and_tree_counts_add_up(browser, site, artifacts_dir):
    server, world = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    copy = next(a for a in world.__dict__.values() if getattr(a, "canonical_id", None))
    page.goto(server.url + copy.get_absolute_url())
    text = page.locator("main").inner_text()
    assert text.count("First published by") == 1
    assert "Read the original story" not in text  # the copy's own link says it is the copy
    page.screenshot(path=str(artifacts_dir / "public-syndicated-copy.png"), full_page=True)

    page.goto(server.url + "/conditions/")
    page.screenshot(path=str(artifacts_dir / "public-mesh-tree.png"), full_page=True)
    # Every child's count is at most its parent's, as the reader sees them.
    pairs = page.evaluate(
        """() => [...document.querySelectorAll('section.tree li')].flatMap(li => {
            const own = li.querySelector('.count');
            const kids = li.querySelectorAll(':scope > ul > li > .node > .count');
            return [...kids].map(k => [own.textContent, k.textContent]);
        })"""
    )
    checked = 0
    for parent, child in pairs:
        assert int(re.sub(r"\D", "", child)) <= int(re.sub(r"\D", "", parent)), (parent, child)
        checked += 1
    assert checked > 0
    page.close()
