"""Recompute the stored syndication bands: shingles are now hashed with CRC-32.

Band values written before this migration came from another shingle hash, so a new
copy of a stored original would no longer find it. Only articles that have bands are
recomputed (originals imported through the pipeline), in chunks.
"""

from django.db import migrations

CHUNK = 500


def rehash(apps, schema_editor):
    from articles.ingest.dedupe import band_values, shingles

    Article = apps.get_model("articles", "Article")
    SyndicationBand = apps.get_model("articles", "SyndicationBand")
    ids = list(SyndicationBand.objects.values_list("article_id", flat=True).distinct().order_by("article_id"))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        SyndicationBand.objects.filter(article_id__in=chunk).delete()
        rows = [
            SyndicationBand(article_id=pk, band=band, value=value)
            for pk, body in Article.objects.filter(pk__in=chunk).values_list("pk", "body")
            for band, value in band_values(shingles(body))
        ]
        SyndicationBand.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_alias_prefix_covering_index"),
    ]

    operations = [
        migrations.RunPython(rehash, migrations.RunPython.noop),
    ]
