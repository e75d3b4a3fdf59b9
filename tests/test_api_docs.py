"""The API reference (/api/docs/, Swagger UI from drf-spectacular-sidecar) and the /api/ index.

The browser test opens the page in Chromium under the site's strict Content-Security-Policy:
it must render the operations, ask nothing of another host, and break no CSP rule."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_api_root_lists_every_endpoint_as_json(client):
    response = client.get("/api/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["docs"].endswith("/api/docs/")
    urls = {e["name"]: e["url"] for e in data["endpoints"]}
    for name in ("articles", "search", "autocomplete", "drugs", "conditions", "institutions", "schema"):
        assert name in urls
        assert client.get(urls[name]).status_code == 200, name


def test_docs_page_loads_nothing_inline_nor_from_another_host(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html and "<script>" not in html  # nothing inline: the strict CSP holds
    assert "cdn" not in html.lower() and "http://" not in html and "https://" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert reverse("api:schema") in script.content.decode()


def test_footer_and_readme_link_to_the_reference(client, settings):
    from pathlib import Path

    assert 'href="/api/docs/"' in client.get("/").content.decode()
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "/api/docs/" in readme


def test_unknown_path_under_api_is_json_404(client):
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_docs_page_renders_in_chromium_under_the_csp(browser, live_server, artifacts_dir, settings):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations, foreign = [], []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(live_server.url) else None)
    response = page.goto(live_server.url + "/api/docs/")
    assert "Content-Security-Policy" in response.headers or "content-security-policy" in response.headers
    page.wait_for_selector(".opblock-tag", timeout=15000)
    text = page.locator("#swagger-ui").inner_text()
    assert "NewsBase API" in text
    assert "/api/articles/" in text and "/api/search/" in text
    page.screenshot(path=str(artifacts_dir / "api-docs-desktop.png"), full_page=False)
    assert violations == []
    assert [u for u in foreign if not u.startswith("data:")] == []
    page.close()
