"""Write everything editors made as JSON Lines (articles.backup): a backup that
``import_export`` restores into an empty database."""

import os

from django.core.management.base import BaseCommand, CommandError

from articles import backup


class Command(BaseCommand):
    help = (
        "Export users, sources, entities, aliases, drug classes, articles, links, trial ids and all history as "
        "JSON Lines (one object a line, each with a type), read from one snapshot with bounded memory. "
        "Restore with `import_export FILE` into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", nargs="?", default="-", help="File to write (default: standard output).")

    def handle(self, *args, output, verbosity=1, **options):
        if output == "-":
            for line in backup.export_lines():
                self.stdout.write(line)
            return
        partial = f"{output}.partial"
        count = 0
        try:
            with open(partial, "w", encoding="utf-8", newline="\n") as stream:
                for line in backup.export_lines():
                    stream.write(line + "\n")
                    count += 1
                    if verbosity >= 2 and count % 100_000 == 0:
                        self.stderr.write(f"  {count:,} lines…")
        except OSError as exc:
            raise CommandError(f"Could not write {output}: {exc.strerror or exc}.") from exc
        os.replace(partial, output)  # the file appears whole or not at all
        if verbosity >= 1:
            self.stderr.write(self.style.SUCCESS(f"Exported {count - 2:,} objects to {output}."))
