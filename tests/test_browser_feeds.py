"""An editor follows an outlet in a real browser (Chromium via Playwright): adds its feed,
clicks "Fetch now", and once a worker has polled it, finds the new stories as drafts."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from articles import tasks
from articles.ingest.feeds import fetch as fetching
from articles.models import Feed

from .admin_support import PASSWORD, ensure_roles
from .feedkit import Server, page, rss, static, story_text

# serialized_rollback: the roles the data migration creates survive other tests' flushes.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def outlet(settings):
    settings.FETCH_ALLOW_PRIVATE = True
    settings.FETCH_HOST_DELAY = 0
    fetching.forget_robots()
    server = Server()
    items = []
    for n in (1, 2):
        path, title = f"/health/story-{n}", f"Browser story {n}: a clinic counts its winter visits"
        server.routes[path] = static(page(title, story_text(500 + n), canonical=server.url(path)).encode())
        items.append({"title": title, "link": server.url(path), "guid": server.url(path)})
    server.routes["/health/feed.xml"] = static(rss(items), "application/rss+xml")
    yield server
    server.stop()


def test_an_editor_adds_a_feed_fetches_it_now_and_sees_the_drafts(browser, live_server, outlet, artifacts_dir):
    ensure_roles()
    editor = get_user_model().objects.create_user("edna", "edna@example.org", PASSWORD, is_staff=True)
    editor.groups.set([Group.objects.get(name="Editor")])
    page_ = browser.new_page(viewport={"width": 1400, "height": 1000})
    page_.goto(live_server.url + "/admin/")
    page_.fill("#id_username", "edna")
    page_.fill("#id_password", PASSWORD)
    page_.get_by_role("button", name="Log in").click()

    page_.goto(live_server.url + "/admin/articles/feed/add/")
    page_.fill("#id_url", outlet.url("/health/feed.xml"))
    page_.get_by_role("button", name="Save", exact=True).click()
    page_.locator(".messagelist").wait_for()
    feed = Feed.objects.get()
    assert not feed.publish

    page_.locator("#result_list tbody tr", has_text="/health/feed.xml").locator("input.action-select").check()
    page_.select_option("select[name=action]", "fetch_now")
    page_.get_by_role("button", name="Go").click()
    assert "1 feed queued" in page_.locator(".messagelist").inner_text()
    page_.screenshot(path=str(artifacts_dir / "feeds-01-queued.png"), full_page=True)

    assert "2 created" in tasks.poll_feed_task.call(feed.pk)  # what a db_worker runs

    page_.goto(live_server.url + "/admin/articles/article/?status__exact=draft")
    listing = page_.locator("#result_list").inner_text()
    assert "Browser story 1" in listing and "Browser story 2" in listing
    page_.goto(live_server.url + "/admin/articles/feed/")
    assert "ok" in page_.locator("#result_list tbody tr").inner_text().lower()
    page_.screenshot(path=str(artifacts_dir / "feeds-02-health.png"), full_page=True)
