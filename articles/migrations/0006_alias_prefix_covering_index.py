"""Autocomplete reads the aliases starting with a prefix, shortest first: with the alias id
inside the prefix index (PostgreSQL), that is an index-only scan, not a heap visit per
alias. SQLite's index on normalized already carries the row id."""

from django.db import migrations

ALIASES = (("drugalias", "drug"), ("conditionalias", "cond"), ("institutionalias", "inst"))


def covering(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, short in ALIASES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {short}alias_prefix_idx")
        schema_editor.execute(
            f"CREATE INDEX {short}alias_prefix_idx ON articles_{table} (normalized varchar_pattern_ops) INCLUDE (id)"
        )


def plain(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, short in ALIASES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {short}alias_prefix_idx")
        schema_editor.execute(
            f"CREATE INDEX {short}alias_prefix_idx ON articles_{table} (normalized varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_search_facets_and_indexes"),
    ]

    operations = [migrations.RunPython(covering, plain)]
