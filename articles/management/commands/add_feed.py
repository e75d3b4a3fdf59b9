"""Follow a feed: add it (checked) so that the scheduler polls it."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from articles.ingest.feeds.fetch import FetchError, check_url
from articles.ingest.outlets import source_slug
from articles.models import Feed, FeedKind, Source


class Command(BaseCommand):
    help = (
        "Add a feed (RSS, Atom, JSON Feed or Google News sitemap) to follow. Its stories wait as drafts "
        "unless --publish. Polled by `poll_feeds` (and `make run`); `poll_feeds --feed ID` polls it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("url", help="The feed's http(s) address.")
        parser.add_argument("--source", default="", help="The outlet's name (default: the site's domain).")
        parser.add_argument("--publish", action="store_true", help="Publish its stories at once (default: draft).")
        parser.add_argument("--kind", choices=FeedKind.values, default=FeedKind.DETECT)
        parser.add_argument("--every", type=int, default=30, metavar="MINUTES", help="Minutes between polls.")

    def handle(self, *args, url, source, publish, kind, every, verbosity=1, **options):
        url = url.strip()
        try:
            URLValidator(schemes=["http", "https"])(url)
            check_url(url)
        except ValidationError:
            raise CommandError(f"not an http(s) address: {url!r}") from None
        except FetchError as exc:
            raise CommandError(str(exc)) from None
        if every < 1:
            raise CommandError("--every must be at least 1 minute")
        if Feed.objects.filter(url=url).exists():
            raise CommandError(f"already followed: {url} (feed {Feed.objects.get(url=url).pk})")
        outlet = None
        if source.strip():
            name = " ".join(source.split())[:200]
            outlet = (
                Source.objects.filter(name=name).first()
                or Source.objects.get_or_create(slug=source_slug(name), defaults={"name": name})[0]
            )
        feed = Feed.objects.create(url=url, kind=kind, source=outlet, publish=publish, poll_minutes=every)
        what = "published at once" if publish else "kept as drafts"
        self.stdout.write(self.style.SUCCESS(f"Feed {feed.pk} added: {url} (stories {what}, polled every {every} min)"))
        self.stdout.write(f"Poll it now with: manage.py poll_feeds --feed {feed.pk}")
