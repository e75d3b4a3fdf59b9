"""The site and the admin work under the Content-Security-Policy, in a real browser (Chromium).

Every page is opened with a listener for `securitypolicyviolation`: anything the policy
blocked (an inline style, a script, a fetch elsewhere) is a failure. Screenshots go to
test-artifacts/ (security-*.png).
"""

import pytest
from django.contrib.auth import get_user_model

from .factories import ConditionFactory, DrugFactory
from .searchkit import story

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a long editor passphrase 42"
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  var where = e.sourceFile + ':' + e.lineNumber;
  window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + where);
});
"""


@pytest.fixture
def site(live_server):
    drug = DrugFactory(name="Folliculinib", slug="folliculinib", aliases=["Hairex"])
    condition = ConditionFactory(name="Scalp Patchiness", slug="scalp-patchiness")
    article = story(
        "Folliculinib regrows hair",
        "Folliculinib, sold as Hairex, regrew hair in Scalp Patchiness.",
        links=[(drug, {}), (condition, {})],
    )
    get_user_model().objects.create_superuser("ada", "ada@example.org", PASSWORD)
    return live_server, article


def test_public_pages_and_admin_run_without_policy_violations(browser, site, artifacts_dir):
    server, article = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(WATCH)
    console = []
    page.on("console", lambda message: console.append(message.text))

    def visit(path, shot=None):
        response = page.goto(server.url + path)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        if shot:
            page.screenshot(path=str(artifacts_dir / f"security-{shot}.png"), full_page=True)
        assert page.evaluate("window.__violations") == [], path

    visit("/", "home")
    # The search box's suggestions: script from a static file, fetch to this site's API.
    page.fill("#home-q", "hairex")
    page.get_by_role("option", name="Folliculinib").first.wait_for()
    assert page.evaluate("window.__violations") == []
    visit(article.get_absolute_url(), "article")
    visit("/drugs/folliculinib/")
    visit("/no-such-page/", "404")

    visit("/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    assert page.evaluate("window.__violations") == []
    page.screenshot(path=str(artifacts_dir / "security-admin.png"), full_page=True)
    # The article's change form: tabular inlines, select2 autocompletes, the admin's own scripts.
    visit(f"/admin/articles/article/{article.pk}/change/", "admin-article")
    page.locator("#drug_links-2-group .add-row a").click()
    page.locator("#drug_links-2-group .select2-selection").first.click()
    page.keyboard.type("folli")
    page.locator(".select2-results__option", has_text="Folliculinib").wait_for()
    assert page.evaluate("window.__violations") == []
    page.keyboard.press("Escape")
    visit("/admin/articles/articledrug/", "admin-review")
    # Styles moved out of the template into static/css/admin.css still apply.
    assert page.evaluate("getComputedStyle(document.querySelector('.review-tabs')).display") == "flex"
    visit("/admin/articles/article/?status__exact=published")
    assert not [text for text in console if "Content Security Policy" in text], console
    page.close()
