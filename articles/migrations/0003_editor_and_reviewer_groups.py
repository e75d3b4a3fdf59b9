"""The two editorial roles, with exactly these permissions (README: Editors' guide).

Editor: import, edit and link (add/change/view of articles, entities, aliases, tree
numbers, trial ids, sources and links; view merge redirects).
Reviewer: all of that, and publish/withdraw, merge entities, delete.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Models editors curate (app "articles").
CURATED = [
    "article",
    "articlecondition",
    "articledrug",
    "articleinstitution",
    "articletrial",
    "condition",
    "conditionalias",
    "conditiontreenumber",
    "drug",
    "drugalias",
    "institution",
    "institutionalias",
    "source",
]

EDITOR = [
    "import_articles",
    "view_entityredirect",
    *(f"{action}_{model}" for model in CURATED for action in ("view", "add", "change")),
]
REVIEWER = [
    *EDITOR,
    "publish_article",
    "merge_condition",
    "merge_drug",
    "merge_institution",
    *(f"delete_{model}" for model in CURATED),
]
GROUPS = {"Editor": EDITOR, "Reviewer": REVIEWER}


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate (post_migrate); create them now
    # so that a fresh database gets complete groups.
    app_config = apps.get_app_config("articles")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        permissions = list(Permission.objects.filter(content_type__app_label="articles", codename__in=codenames))
        missing = set(codenames) - {p.codename for p in permissions}
        if missing:
            raise RuntimeError(f"Permissions missing for group {name}: {sorted(missing)}")
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_curation_permissions_and_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
