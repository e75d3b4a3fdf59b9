"""Restore a backup written by ``export`` into an empty database (articles.backup)."""

from django.core.management.base import BaseCommand, CommandError

from articles import backup


class Command(BaseCommand):
    help = (
        "Restore a file written by `export` into an EMPTY database (run `migrate` first, create no user): "
        "all of it in one transaction, or nothing, with the line and reason of a bad line. "
        "The search index is rebuilt."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A file written by `manage.py export`.")

    def handle(self, *args, file, verbosity=1, **options):
        try:
            restored = backup.restore_file(file)
        except OSError as exc:
            raise CommandError(f"Could not read {file}: {exc.strerror or exc}.") from exc
        except backup.RestoreError as exc:
            raise CommandError(f"{file}: {exc} Nothing was restored.") from exc
        if verbosity >= 1:
            for label, n in restored.items():
                if verbosity >= 2:
                    self.stdout.write(f"  {label}: {n:,}")
            total = sum(restored.values())
            self.stdout.write(self.style.SUCCESS(f"Restored {total:,} objects from {file}; search index rebuilt."))
