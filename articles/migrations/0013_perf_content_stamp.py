import uuid

from django.db import migrations, models
from django.utils import timezone


def first_stamp(apps, schema_editor):
    apps.get_model("articles", "ContentStamp").objects.create(pk=1, token=uuid.uuid4().hex, changed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("articles", "0012_merge_pmid_and_import_jobs")]

    operations = [
        migrations.CreateModel(
            name="ContentStamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
                ("changed_at", models.DateTimeField()),
            ],
            options={"verbose_name": "content stamp"},
        ),
        migrations.RunPython(first_stamp, migrations.RunPython.noop),
    ]
