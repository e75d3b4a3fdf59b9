"""Fixtures for the admin tests (load with pytest_plugins = ["tests.admin_fixtures"])."""

import pytest

from .admin_support import client_for, make_user


@pytest.fixture
def editor(db):
    return make_user("edna", "Editor")


@pytest.fixture
def reviewer(db):
    return make_user("rene", "Reviewer")


@pytest.fixture
def editor_client(editor):
    return client_for(editor)


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)
