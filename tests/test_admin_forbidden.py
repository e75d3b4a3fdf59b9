"""An Editor opening a Reviewer-only admin page gets a styled admin page naming the role needed."""

import pytest
from django.urls import reverse

from articles.models import Condition

from .admin_support import delete_url
from .factories import ConditionFactory

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]


def test_an_editor_on_the_merge_page_is_told_it_needs_a_reviewer(editor_client):
    response = editor_client.get(reverse("admin:articles_condition_merge"), {"ids": "1,2"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "needs the <strong>Reviewer</strong>" in html
    assert "Your roles: Editor." in html
    assert 'id="header"' in html and "css/admin.css" in html  # the admin's own frame and styles
    assert "403 Forbidden" not in html


def test_an_editor_deleting_is_told_the_role_and_what_it_does(editor_client):
    condition = ConditionFactory()
    response = editor_client.get(delete_url(condition))
    assert response.status_code == 403
    html = response.content.decode()
    assert "delete conditions" in html and "<strong>Reviewer</strong>" in html
    assert Condition.objects.filter(pk=condition.pk).exists()
