"""Review can't be bypassed: what readers see of a published article — its text and details,
trial ids and links — changes only with someone who may publish (a Reviewer, a superuser).
An Editor's change is refused with ``services.published_needs_reviewer``'s message, on the
article's change form and its inline rows, the trial id and link pages, and history
reverts (compared with the row as saved now, since a revert's form starts from an old
version). The review queue's actions leave published articles' links alone for them."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, model_to_dict

from .. import services
from ..models import ArticleStatus


def is_published(article):
    return article is not None and article.status == ArticleStatus.PUBLISHED


def locked_for(request, article):
    """Whether this user may not change `article` because it is published."""
    return is_published(article) and not services.may_publish(request.user)


def changed_from_saved(form, saved):
    """Names of `form`'s fields whose posted value differs from the row `saved` (as stored now)."""
    values = model_to_dict(saved, fields=list(form.fields))
    changed = []
    for name, field in form.fields.items():
        value = values.get(name)
        if isinstance(value, datetime.datetime) and not field.widget.supports_microseconds:
            value = value.replace(microsecond=0)  # as the form shows it (BoundField.initial)
        if field.has_changed(value, form[name].data):
            changed.append(name)
    return changed


class CanPublishFormMixin:
    """ModelAdmin mixin: its forms know whether the user may publish (``can_publish``)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"can_publish": services.may_publish(request.user)})


class ArticleRowForm(forms.ModelForm):
    """A row that belongs to an article (a trial id, a link): added to, changed on or moved
    to or from a published article only by someone who may publish."""

    can_publish = False

    def clean(self):
        cleaned = super().clean()
        model = type(self.instance)
        saved = model._base_manager.filter(pk=self.instance.pk).select_related("article").first()
        articles = [cleaned.get("article"), saved.article if saved else None]
        locked = next((article for article in articles if is_published(article)), None)
        if locked is not None and not self.can_publish and (saved is None or changed_from_saved(self, saved)):
            raise ValidationError(services.published_needs_reviewer(locked))
        return cleaned


class ArticleRowsFormSet(BaseInlineFormSet):
    """An article's inline rows (links, trial ids): on a published article, unchanged unless
    the user may publish. Rows know their article without a query each (their labels and
    context use it)."""

    can_publish = False

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        setattr(form.instance, self.fk.name, self.instance)
        return form

    def clean(self):
        super().clean()
        if self.can_publish or not is_published(self.instance):
            return
        if any(form.has_changed() for form in self.forms) or self.deleted_forms:
            raise ValidationError(services.published_needs_reviewer(self.instance))


class ArticleRowsInlineMixin:
    """InlineModelAdmin mixin: its formset knows whether the user may publish."""

    formset = ArticleRowsFormSet

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.can_publish = services.may_publish(request.user)
        return formset
