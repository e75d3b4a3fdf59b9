"""Helpers for the admin tests: users in the two roles the data migration creates, URLs, actions."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

PASSWORD = "correct horse battery staple"


def _article_inline_prefixes():
    """The formset prefixes of the article change form: each link kind's list and "add" inline, and trials."""
    from articles.models import LINK_MODELS

    names = [model._meta.get_field("article").remote_field.related_name for model in LINK_MODELS]
    return [f"{name}{suffix}" for name in names for suffix in ("", "-2")] + ["trials"]


ARTICLE_INLINE_PREFIXES = _article_inline_prefixes()


def ensure_roles():
    """Recreate the Editor and Reviewer groups the data migrations make (0003, then the drug
    class grants of 0009 and the feed grants of 0013): a transactional test's flush deletes
    them for the tests after it."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    editor = SimpleNamespace(connection=connection)
    import_module("articles.migrations.0003_editor_and_reviewer_groups").create_groups(apps, editor)
    import_module("articles.migrations.0009_drug_classes").grant_roles(apps, editor)
    import_module("articles.migrations.0013_feeds_feed_items").grant_roles(apps, editor)


def make_user(username, *groups, superuser=False):
    user_model = get_user_model()
    if superuser:
        return user_model.objects.create_superuser(username, f"{username}@example.org", PASSWORD)
    user = user_model.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def action(client, model, name, objects, follow=True, query="", **extra):
    """POST an admin action on `objects` from the changelist (filtered by `query`)."""
    data = {"action": name, "_selected_action": [obj.pk for obj in objects], "index": 0, **extra}
    return client.post(changelist_url(model) + query, data, follow=follow)


def history_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


def delete_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_delete", args=[obj.pk])
