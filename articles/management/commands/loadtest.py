"""Throughput under concurrent load on loopback (articles.bench.load): req/s, p50, p99, errors."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Start gunicorn (gunicorn.conf.py) on 127.0.0.1 and load it with concurrent keep-alive clients, "
        "at most 30 s in all; print req/s, p50, p99 and errors per URL. Default URLs: /api/search/?q=ruxolitinib "
        "and the page of a condition with narrower conditions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", action="append", dest="paths", help="A path to load (repeatable).")
        parser.add_argument("--seconds", type=int, default=10, help="Seconds of load per URL (default 10).")
        parser.add_argument("--connections", type=int, default=16, help="Concurrent connections (default 16).")
        parser.add_argument(
            "--conditional", action="store_true", help="Send back the ETag given (revalidating clients: 304s)."
        )

    def handle(self, *args, **options):
        from articles.bench import load

        if options["seconds"] < 1 or options["connections"] < 1:
            raise CommandError("--seconds and --connections must be at least 1.")
        try:
            load.run(self, **options)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
