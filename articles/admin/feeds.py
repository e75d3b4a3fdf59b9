"""Following outlets: the feeds (add one, "fetch now", their health) and what each item became."""

from datetime import timedelta

from django.contrib import admin, messages
from django.db import models
from django.utils import timezone

from ..ingest.feeds import poll
from ..models import Feed, FeedItem
from .base import count_of


class HealthFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [("failing", "failing"), ("ok", "fetched without error"), ("never", "never fetched")]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.filter(consecutive_failures__gt=0)
        if self.value() == "ok":
            return queryset.filter(consecutive_failures=0, last_fetched_at__isnull=False)
        if self.value() == "never":
            return queryset.filter(last_fetched_at__isnull=True)
        return queryset


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "source",
        "kind",
        "active",
        "publish",
        "last_status",
        "last_success_at",
        "items_last_week",
        "consecutive_failures",
        "next_poll_at",
    ]
    list_filter = [HealthFilter, "active", "kind", "publish"]
    list_select_related = ["source"]
    search_fields = ["url", "title", "source__name"]
    autocomplete_fields = ["source"]
    actions = ["fetch_now"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = [
        "last_status",
        "last_fetched_at",
        "last_success_at",
        "consecutive_failures",
        "last_error",
        "next_poll_at",
        "etag",
        "last_modified",
    ]
    fields = ["url", "kind", "source", "title", "poll_minutes", "publish", "active", *readonly_fields]

    def get_queryset(self, request):
        week_ago = timezone.now() - timedelta(days=7)
        return super().get_queryset(request).annotate(items_last_week=count_of(FeedItem, "feed", seen_at__gte=week_ago))

    @admin.display(description="items (7 days)", ordering="items_last_week")
    def items_last_week(self, feed):
        return feed.items_last_week

    @admin.action(description="Fetch now (queued for a worker)", permissions=["change"])
    def fetch_now(self, request, queryset):
        feeds = list(queryset)
        for feed in feeds:
            poll.fetch_now(feed)
        self.message_user(
            request,
            f"{len(feeds)} feed{'s' if len(feeds) != 1 else ''} queued; new stories appear as "
            f"{'drafts' if not any(f.publish for f in feeds) else 'articles'} once a worker has fetched them.",
            messages.SUCCESS,
        )


@admin.register(FeedItem)
class FeedItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "feed", "status", "article", "from_feed_text", "seen_at", "attempts", "error"]
    list_filter = ["status", "from_feed_text", "feed"]
    list_select_related = ["feed", "article"]
    search_fields = ["url", "title", "key"]
    readonly_fields = [f.name for f in FeedItem._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
