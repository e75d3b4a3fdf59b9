"""RSS and Atom feeds: the latest articles, and the articles of each condition, drug and institution.

URLs: ``/feed/`` and ``/feed/atom/``; ``<entity page>feed/`` and ``<entity page>feed/atom/``
(a condition's includes its narrower conditions, as its page and search do; ``?narrower=0``
for the condition only). Feeds carry
originals only: a syndicated copy is the same story again, so a subscriber gets each
story once. A merged-away entity's feed answers 301 with the survivor's feed.
"""

import re

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponseBadRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.text import Truncator

from .browse import BranchArticleIds, entity_filterset
from .kinds import BY_NAME
from .models import Article, ConditionTreeNumber
from .redirects import to_survivor

FEED_SIZE = 30
# XML 1.0 forbids these; Django refuses to write them (a 500), so they are dropped.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value):
    return CONTROL_CHARACTERS.sub("", str(value or ""))


def narrower_param(request):
    """Whether a condition's narrower conditions are included: yes by default (absent or "1",
    as search does), no for "0" ("only X"); None when it is anything else."""
    value = request.GET.get("narrower", "")
    return {"": True, "0": False, "1": True}.get(value)


class LatestArticlesFeed(Feed):
    feed_type = Rss201rev2Feed
    title = "NewsBase: latest medical news"
    description = "New articles on NewsBase, linked to the conditions, drugs and institutions they mention."
    author_name = "NewsBase"

    def link(self):
        return reverse("articles:home")

    def base_queryset(self):
        """Published originals, newest first, with their links (for categories) and body (for a description)."""
        return Article.objects.published().originals().listing().defer(None).with_public_links()

    def items(self):
        return self.base_queryset()[:FEED_SIZE]

    def item_title(self, item):
        title = xml_text(item.title)
        # An RSS item title is HTML to feed readers (escaped, as Django's default does); an Atom
        # title is a text construct, so escaping it would show "&amp;" and "&#x27;" to readers.
        return title if issubclass(self.feed_type, Atom1Feed) else escape(title)

    def item_description(self, item):
        paragraphs = item.paragraphs()
        text = item.summary or (paragraphs[0] if paragraphs else "")
        return escape(xml_text(Truncator(text).words(80)))

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return xml_text(item.author or (item.source.name if item.source else "")) or None

    def item_categories(self, item):
        links = [*item.public_condition_links, *item.public_drug_links, *item.public_institution_links]
        return [xml_text(link.entity.name) for link in links]


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = Atom1Feed
    subtitle = LatestArticlesFeed.description


class EntityFeed(LatestArticlesFeed):
    """The newest public articles of one entity (the object)."""

    kind = None  # "condition", "drug" or "institution"

    def __call__(self, request, *args, **kwargs):
        if narrower_param(request) is None:
            message = "narrower is 1 (include narrower conditions, the default) or 0 (the condition only)."
            return HttpResponseBadRequest(message, content_type="text/plain")
        try:
            return super().__call__(request, *args, **kwargs)
        except Http404:
            return to_survivor(request, BY_NAME[self.kind].model, kwargs["slug"])

    def get_object(self, request, slug):
        entity = BY_NAME[self.kind].model.objects.only("name", "slug").get(slug=slug)
        # Per request, on the object: the feed instance is shared by every request.
        include = self.kind == "condition" and narrower_param(request)
        entity.only = self.kind == "condition" and not include
        # The narrower conditions' ids (none below it: its own articles, as "only").
        entity.branch = [pk for pk, _, _ in ConditionTreeNumber.branches([entity.pk])[entity.pk]] if include else []
        entity.narrower = bool(entity.branch)
        return entity

    def title(self, obj):
        scope = " and narrower conditions" if obj.narrower else ""
        return xml_text(f"NewsBase: {obj.name}{scope}")

    def description(self, obj):
        return xml_text(f"New articles about {obj.name} on NewsBase.")

    subtitle = description

    def link(self, obj):
        return obj.get_absolute_url() + ("?narrower=0" if obj.only else "")

    def items(self, obj):
        if obj.branch:  # the newest ids from the branch's links' index, then those articles
            ids = BranchArticleIds([obj.pk, *obj.branch], originals=True)[:FEED_SIZE]
            return self.base_queryset().filter(pk__in=ids)
        filterset = entity_filterset(self.kind, obj, {}, self.base_queryset())
        return filterset.qs[:FEED_SIZE]


def entity_feeds(kind):
    """(RSS feed, Atom feed) views for one kind of entity."""
    rss = type(f"{kind.title()}Feed", (EntityFeed,), {"kind": kind})
    atom = type(f"{kind.title()}AtomFeed", (rss,), {"feed_type": Atom1Feed})
    return rss(), atom()
