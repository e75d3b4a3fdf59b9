"""Helpers for the admin tests: users in the two roles the data migration creates, URLs, actions."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

PASSWORD = "correct horse battery staple"


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
