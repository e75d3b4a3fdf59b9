"""Suggested institutions (created by the importer) named by one word link only in context.

The importer now marks such a name ambiguous when it creates it; this marks the ones it created
before, so that "Research" (from "Opinion Research Corporation.") or the journal "Spine" stop
linking the everyday word. Editors' and the vocabulary's aliases are left as they are.
"""

from django.db import migrations


def mark_ambiguous(apps, schema_editor):
    alias_model = apps.get_model("articles", "InstitutionAlias")
    one_word = alias_model.objects.filter(origin="auto", institution__origin="auto").exclude(normalized__contains=" ")
    one_word.filter(is_ambiguous=False).update(is_ambiguous=True)


class Migration(migrations.Migration):
    dependencies = [("articles", "0016_merge_content_stamp")]

    operations = [migrations.RunPython(mark_ambiguous, migrations.RunPython.noop)]
