"""Drug classes as data: the curated file, its loading, linking stories to classes, and the
pages, API and admin that show them. Sentences are our own."""

import datetime
import textwrap

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.ingest.extract import Record
from articles.ingest.matcher import CONDITION, DRUG, DRUG_CLASS, Matcher, clear_matcher_cache
from articles.ingest.pipeline import import_records
from articles.models import (
    AliasKind,
    ArticleDrugClass,
    ArticleStatus,
    DrugAlias,
    DrugClass,
    DrugClassAlias,
    DrugClassMember,
    EntityRedirect,
    Origin,
)
from articles.text import normalize
from articles.vocabulary import classes
from articles.vocabulary.sources import VocabularyError

from .admin_support import change_url, changelist_url, history_url
from .factories import ArticleFactory, ConditionFactory, DrugFactory

pytest_plugins = ["tests.admin_fixtures"]


def write(tmp_path, text, name="classes.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the curated file


@pytest.fixture(scope="module")
def shipped():
    return classes.read_classes()


def test_the_file_has_at_least_150_classes_that_news_names(shipped):
    assert len(shipped) >= 150
    names = {normalize(alias) for spec in shipped.values() for alias in spec.aliases}
    for phrase in (
        "statins", "GLP-1 receptor agonists", "GLP-1 drugs", "SGLT2 inhibitors", "DPP-4 inhibitors", "JAK inhibitors",
        "SSRIs", "SNRIs", "PCSK9 inhibitors", "checkpoint inhibitors", "PD-1 inhibitors", "CTLA-4 inhibitors",
        "bisphosphonates", "opioids", "NSAIDs", "ACE inhibitors", "ARBs", "beta blockers", "calcium channel blockers",
        "diuretics", "blood thinners", "DOACs", "antiplatelet drugs", "PPIs", "H2 blockers", "benzodiazepines",
        "antipsychotics", "antidepressants", "triptans", "CGRP inhibitors", "anti-amyloid antibodies",
        "TNF inhibitors", "antibiotics", "fluoroquinolones", "macrolides", "penicillins", "cephalosporins",
        "antivirals", "antiretrovirals", "PARP inhibitors", "CDK4/6 inhibitors", "EGFR inhibitors", "ALK inhibitors",
        "BTK inhibitors", "BCL-2 inhibitors", "tyrosine kinase inhibitors", "aromatase inhibitors", "SERMs",
        "androgen deprivation therapy", "corticosteroids", "inhaled corticosteroids", "antihistamines",
        "anticonvulsants", "HRT", "oral contraceptives", "insulin analogues", "sulfonylureas", "gliptins",
        "antimalarials", "antifungals", "weight-loss drugs",
    ):  # fmt: skip
        assert normalize(phrase) in names, phrase


def test_every_class_has_a_description_and_a_known_parent(shipped):
    for spec in shipped.values():
        assert spec.fields["description"], spec.name
        assert not spec.parent or classes.class_key(spec.parent) in shipped


def test_words_that_are_also_something_else_are_kept_but_never_linked(shipped):
    by_name = {key: alias for spec in shipped.values() for key, alias in spec.aliases.items()}
    # "chemotherapy" and "chemo" are the treatment; "chemotherapy drugs" is the class.
    for word in ("steroids", "stimulant", "the pill", "nitrates", "chemotherapy", "chemo"):
        assert by_name[normalize(word)].is_ambiguous, word
    # Abbreviations link only in capitals: "SSRIs", not a word that happens to be spelt so.
    assert not by_name["chemotherapy drug"].is_ambiguous
    # Lay names the annotation rules give: "blood thinner" is an anticoagulant, "GnRH analogue" a GnRH agonist.
    owner = {key: spec.name for spec in shipped.values() for key in spec.aliases}
    assert owner["blood thinner"] == owner["blood thinners"] == "Anticoagulants"
    assert owner["gnrh analogue"] == "GnRH agonists"
    assert by_name["ssris"].match_case and by_name["ssris"].kind == AliasKind.ABBREVIATION
    # Drug names are drugs, not classes.
    assert not {"insulin", "penicillin", "aspirin", "steroid"} & {n for n, a in by_name.items() if not a.is_ambiguous}


def test_every_member_is_a_drug_of_the_vocabulary(shipped, vocabulary_specs):
    known = set()
    for spec in vocabulary_specs["drugs"].values():
        known.add(normalize(spec.name))
        known.update(spec.aliases)
    missing = [(spec.name, m) for spec in shipped.values() for m in spec.members if normalize(m) not in known]
    assert missing == []
    assert sum(len(spec.members) for spec in shipped.values()) > 1000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[class]]\ndescription = "x"\n', "class #1 has no name"),
        ('[[class]]\nname = "Statins"\ncolour = "red"\n', "unknown keys ['colour']"),
        ('[[class]]\nname = "Statins"\n[[class]]\nname = "statins"\n', "'statins' is listed twice"),
        ('[[class]]\nname = "Statins"\nparent = "Heart drugs"\n', "unknown parent 'Heart drugs'"),
        (
            '[[class]]\nname = "A"\nparent = "B"\n[[class]]\nname = "B"\nparent = "A"\n',
            "sits below itself",
        ),
        (
            '[[class]]\nname = "Statins"\naliases = ["cholesterol pills"]\n'
            '[[class]]\nname = "Fibrates"\nlay = ["cholesterol pills"]\n',
            "'cholesterol pills' names both 'Statins' and 'Fibrates'",
        ),
        ('[[class]]\nname = "Statins"\naliases = ["statin"]\nambiguous = ["statin"]\n', "both aliases and ambiguous"),
        ('[[class]]\nname = "Statins"\nmembers = "atorvastatin"\n', "members must be a list of drug names"),
        ('[[class]]\nname = "Statins"\naliases = ["--"]\n', "aliases holds '--', which is not a name"),
        ("[[class]\n", "not valid TOML"),
    ],
)
def test_a_broken_file_gets_an_error_naming_the_class_and_the_problem(tmp_path, text, message):
    with pytest.raises(VocabularyError, match="classes.toml") as raised:
        classes.read_classes(write(tmp_path, text))
    assert message in str(raised.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(VocabularyError, match="nowhere.toml: file not found"):
        classes.read_classes(tmp_path / "nowhere.toml")


# --------------------------------------------------------------------------- loading

SMALL = """
[[class]]
name = "Heart pills"
description = "Medicines for the heart."
lay = ["heart medicines"]
members = ["Lowerstatin"]

[[class]]
name = "Lowering tablets"
parent = "Heart pills"
description = "Tablets that lower a blood fat."
aliases = ["lowering tablet", "lowerers"]
abbreviations = ["LTs"]
ambiguous = ["lowering"]
members = ["lowerstatin", "Brandlow", "Otherstatin"]
"""


@pytest.fixture
def small_vocabulary(db):
    lower = DrugFactory(name="Lowerstatin", aliases=["Brandlow"])
    other = DrugFactory(name="Otherstatin")
    return lower, other


def test_a_drugs_or_medications_name_is_also_written_meds(tmp_path, shipped):
    pressure = shipped[classes.class_key("Antihypertensives")].aliases
    assert pressure["blood pressure meds"].kind == AliasKind.LAY and "blood pressure med" in pressure
    own = shipped[classes.class_key("Antidiabetic drugs")].aliases["antidiabetic meds"]
    assert own.kind == AliasKind.SYNONYM  # a class has one name
    path = write(
        tmp_path,
        """
        [[class]]
        name = "Heart pills"
        ambiguous = ["heart drugs"]
        abbreviations = ["HP drugs"]

        [[class]]
        name = "Other pills"
        aliases = ["heart medications"]
        """,
    )
    heart, other = classes.read_classes(path).values()
    assert heart.aliases["heart meds"].is_ambiguous and "hp meds" not in heart.aliases
    assert "heart meds" not in other.aliases  # one class per name


def test_loading_creates_classes_aliases_parents_and_members(tmp_path, small_vocabulary):
    lower, other = small_vocabulary
    report = classes.load_classes(classes.read_classes(write(tmp_path, SMALL)))
    tablets = DrugClass.objects.get(name="Lowering tablets")
    assert tablets.parent.name == "Heart pills"
    assert tablets.origin == Origin.SUPPLEMENT
    assert set(tablets.members.all()) == {lower, other}  # "Brandlow" is lowerstatin's brand: one member
    aliases = {a.normalized: a for a in tablets.aliases.all()}
    assert aliases["lts"].match_case and aliases["lowering"].is_ambiguous
    assert aliases["lowering tablets"].kind == AliasKind.NAME
    assert str(report.tables["drug class members"]).startswith("3 created")
    assert list(DrugClass.objects.get(name="Heart pills").children.all()) == [tablets]


def test_loading_twice_changes_nothing_and_keeps_editors_work(tmp_path, small_vocabulary):
    specs = classes.read_classes(write(tmp_path, SMALL))
    classes.load_classes(specs)
    tablets = DrugClass.objects.get(name="Lowering tablets")
    tablets.description = "An editor's better description."
    tablets.parent = DrugClass.objects.create(name="Blood fat drugs", slug="blood-fat-drugs")
    tablets.save()
    DrugClassAlias.objects.create(drug_class=tablets, text="fat tablets", kind=AliasKind.LAY)
    DrugClassAlias.objects.filter(drug_class=tablets, normalized="lowerers").update(kind=AliasKind.LAY, origin="editor")

    report = classes.load_classes(specs)

    assert not report.changed
    tablets.refresh_from_db()
    assert tablets.description == "An editor's better description."
    assert tablets.parent.name == "Blood fat drugs"  # an editor moved it: the file does not move it back
    assert tablets.aliases.get(normalized="lowerers").kind == AliasKind.LAY
    assert tablets.aliases.filter(normalized="fat tablets").exists()
    assert DrugClass.objects.count() == 3 and DrugClassMember.objects.count() == 3


def test_an_unknown_member_is_an_error_naming_the_class_and_the_drug(tmp_path, small_vocabulary):
    path = write(tmp_path, '[[class]]\nname = "Heart pills"\nmembers = ["Lowerstatin", "Nosuchdrug"]\n')
    with pytest.raises(VocabularyError, match="Drug class 'Heart pills': member 'Nosuchdrug' is not a drug"):
        classes.load_classes(classes.read_classes(path))
    assert not DrugClass.objects.exists()  # one transaction: nothing half-written

    report = classes.load_classes(classes.read_classes(path), strict=False)  # part of the vocabulary (--limit)
    assert any("Nosuchdrug" in warning for warning in report.warnings)
    assert DrugClassMember.objects.count() == 1


def test_a_member_name_two_drugs_share_equally_is_an_error(tmp_path, small_vocabulary):
    for drug in small_vocabulary:
        DrugAlias.objects.create(drug=drug, text="Sharedname", origin=Origin.SUPPLEMENT)
    path = write(tmp_path, '[[class]]\nname = "Heart pills"\nmembers = ["Sharedname"]\n')
    with pytest.raises(VocabularyError, match="'Sharedname' names 2 drugs"):
        classes.load_classes(classes.read_classes(path))


def test_a_drug_whose_class_label_is_a_class_name_becomes_a_member(tmp_path, small_vocabulary):
    labelled = DrugFactory(name="Thirdstatin", drug_class="lowering tablet (once daily)")
    named_like_the_class = DrugFactory(
        name="Blood Fat Lowering Agents", aliases=["lowerers"], drug_class="lowering tablet"
    )
    classes.load_classes(classes.read_classes(write(tmp_path, SMALL)))
    members = set(DrugClass.objects.get(name="Lowering tablets").members.all())
    assert labelled in members
    assert named_like_the_class not in members  # a package entry named like the class is the class


def test_load_vocabulary_reads_the_classes_file(db, small_vocabulary, tmp_path, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    monkeypatch.setattr(classes, "CLASSES_FILE", write(tmp_path, SMALL))
    out = StringIO()
    call_command("load_vocabulary", "--only", "classes", stdout=out)
    assert "drug classes: 2 created" in out.getvalue()
    assert DrugClass.objects.filter(name="Lowering tablets").exists()


# --------------------------------------------------------------------------- linking


@pytest.fixture
def class_world(db, tmp_path):
    """Drugs, a condition and three classes, one of which the drug package also has as a 'drug'."""
    clear_matcher_cache()
    atorva = DrugFactory(name="Atorvastatin", aliases=["Lipitor"])
    package_class = DrugFactory(name="Hydroxymethylglutaryl-CoA Reductase Inhibitors", aliases=["statins"])
    DrugAlias.objects.filter(drug=package_class).update(origin=Origin.SUPPLEMENT)
    diabetes = ConditionFactory(name="Diabetes Mellitus", aliases=["diabetes"])
    asthma = ConditionFactory(name="Asthma")
    text = """
    [[class]]
    name = "Statins"
    description = "Cholesterol tablets."
    aliases = ["statin"]
    members = ["Atorvastatin"]

    [[class]]
    name = "Antidiabetic drugs"
    description = "Diabetes medicines."
    lay = ["diabetes drugs", "diabetes medications"]

    [[class]]
    name = "Corticosteroids"
    description = "Cortisol-like drugs."
    aliases = ["corticosteroid"]
    ambiguous = ["steroids"]

    [[class]]
    name = "Inhaled corticosteroids"
    parent = "Corticosteroids"
    description = "Steroid inhalers."
    abbreviations = ["ICSs"]

    [[class]]
    name = "Selective serotonin reuptake inhibitors"
    description = "Antidepressants."
    abbreviations = ["SSRIs"]
    """
    classes.load_classes(classes.read_classes(write(tmp_path, text)))
    yield {
        "atorvastatin": atorva,
        "package_class": package_class,
        "diabetes": diabetes,
        "asthma": asthma,
        **{c.slug: c for c in DrugClass.objects.all()},
    }
    clear_matcher_cache()


def names(text):
    matcher = Matcher.build()
    found = []
    for mention in matcher.match(text).mentions:
        model = {CONDITION: "condition", DRUG: "drug", DRUG_CLASS: "class"}[mention.entity_type]
        found.append((model, mention.text))
    return found


def test_a_class_name_links_the_class_not_the_package_entry_of_the_same_name(class_world):
    found = names("Her doctor added a statin; patients on statins such as Lipitor did better.")
    assert found == [("class", "statin"), ("class", "statins"), ("drug", "Lipitor")]


def test_a_class_name_does_not_hide_the_condition_it_names(class_world):
    found = names("Newer diabetes drugs were compared with older diabetes medications.")
    assert found == [
        ("class", "diabetes drugs"),
        ("condition", "diabetes"),
        ("class", "diabetes medications"),
        ("condition", "diabetes"),
    ]


def test_a_drug_named_inside_a_class_name_is_not_linked(class_world):
    DrugFactory(name="Diabetol")  # a drug whose name is also a word of a class name
    DrugClassAlias.objects.create(drug_class=class_world["antidiabetic-drugs"], text="Diabetol mimetics")
    found = names("She was given Diabetol mimetics; her sister took Diabetol.")
    assert found == [("class", "Diabetol mimetics"), ("drug", "Diabetol")]


def test_a_narrower_class_is_not_also_its_broader_class(class_world):
    found = names("Children with asthma used inhaled corticosteroids every day.")
    assert found == [("condition", "asthma"), ("class", "inhaled corticosteroids")]


def test_ambiguous_and_wrong_case_class_words_link_nothing(class_world):
    assert names("The sprinter was banned for taking steroids before the final.") == []
    assert names("Some people write ssris in lower case, which is not the abbreviation.") == []
    assert names("Doctors prescribed SSRIs and ICSs.") == [("class", "SSRIs"), ("class", "ICSs")]


def test_an_import_links_the_class_and_copies_the_published_date(class_world):
    record = Record(
        where="our story",
        title="Statins in older adults",
        body="A new study followed people over 75 who took statins for ten years.\n\nHeart attacks fell.",
        url="https://news.example/statins-older",
        source="Example News",
        published="2024-03-01",
    )
    report = import_records([record], publish=True)
    assert not report.failed
    link = ArticleDrugClass.objects.get()
    assert link.drug_class == class_world["statins"]
    assert (link.mention_count, link.in_title, link.matched_text) == (1, True, "statins")
    assert link.published is not None and link.published == link.article.published
    assert not link.article.drug_links.filter(drug=class_world["package_class"]).exists()
    # Withdrawn, the story leaves the class's count (the copied date is cleared).
    services.set_status(article=link.article, status=ArticleStatus.WITHDRAWN)
    assert DrugClass.objects.with_article_count().get(slug="statins").article_count == 0


# --------------------------------------------------------------------------- pages


def link_class(article, drug_class, **kwargs):
    row = ArticleDrugClass.objects.create(article=article, drug_class=drug_class, **kwargs)
    services.sync_link_dates(article_ids=[article.pk])
    return row


def published_story(n, **kwargs):
    article = ArticleFactory(published=timezone.now() - datetime.timedelta(days=n), **kwargs)
    return services.publish(article=article)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response


def test_class_pages_list_members_and_articles_in_a_fixed_number_of_queries(client, class_world):
    statins = class_world["statins"]
    first = published_story(1, title="Statins and memory")
    link_class(first, statins)
    few_list, _ = count_queries(client, reverse("articles:drug-class-list"))
    few_page, _ = count_queries(client, statins.get_absolute_url())
    for n in range(2, 30):
        link_class(published_story(n), statins)
        DrugClassMember.objects.create(drug_class=statins, drug=DrugFactory())
    many_list, listing = count_queries(client, reverse("articles:drug-class-list"))
    many_page, page = count_queries(client, statins.get_absolute_url())
    # + 1 each: the content stamp (newsbase.httpcache)
    assert few_list == many_list == 2
    assert few_page == many_page == 8
    html = page.content.decode()
    assert "Statins and memory" in html
    assert f'href="{class_world["atorvastatin"].get_absolute_url()}"' in html
    assert page.context["page"].paginator.count == 29
    listed = listing.content.decode()
    assert 'href="/drug-classes/"' in client.get(reverse("articles:drug-list")).content.decode()
    # The tree: the narrower class under its broader one, with counts.
    assert listed.index("Corticosteroids") < listed.index("Inhaled corticosteroids")
    assert "29 drugs · 29 articles" in listed


def test_a_rejected_or_unpublished_link_is_not_shown(client, class_world):
    statins = class_world["statins"]
    link_class(published_story(1, title="Rejected story"), statins, status="rejected")
    link_class(ArticleFactory(title="Draft story"), statins)
    html = client.get(statins.get_absolute_url()).content.decode()
    assert "Rejected story" not in html and "Draft story" not in html
    assert "No published article names Statins yet" in html


def test_class_pages_escape_what_editors_write(client, class_world):
    statins = class_world["statins"]
    statins.description = '<script>alert("x")</script> & more'
    statins.save()
    DrugClassAlias.objects.create(drug_class=statins, text="<b>bold</b> pills")
    html = client.get(statins.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt; pills" in html


def test_drug_page_and_article_page_link_to_the_class(client, class_world):
    statins = class_world["statins"]
    drug_page = client.get(class_world["atorvastatin"].get_absolute_url()).content.decode()
    assert f'href="{statins.get_absolute_url()}"' in drug_page
    article = published_story(1)
    link_class(article, statins)
    article_page = client.get(article.get_absolute_url()).content.decode()
    assert "Drug classes" in article_page and f'href="{statins.get_absolute_url()}"' in article_page


def test_the_sitemap_lists_classes_that_have_articles(client, class_world):
    link_class(published_story(1), class_world["statins"])
    assert "/drug-classes/" in client.get("/sitemap-pages.xml").content.decode()
    listed = client.get("/sitemap-drug-classes.xml").content.decode()
    assert "/drug-classes/statins/" in listed and "/drug-classes/corticosteroids/" not in listed


def test_unknown_class_is_404_and_an_old_slug_redirects(client, class_world):
    assert client.get("/drug-classes/no-such-class/").status_code == 404
    EntityRedirect.objects.create(entity_type="drugclass", old_slug="statin-drugs", target_id=class_world["statins"].pk)
    response = client.get("/drug-classes/statin-drugs/?page=1")
    assert response.status_code == 301 and response["Location"] == "/drug-classes/statins/?page=1"
    assert client.get("/drug-classes/statins/?page=x").status_code == 400
    assert client.get("/drug-classes/statins/?page=9").status_code == 404


# --------------------------------------------------------------------------- API


def test_api_lists_classes_and_details_members_and_aliases(client, class_world):
    link_class(published_story(1), class_world["statins"])
    data = client.get("/api/drug-classes/").json()
    assert data["count"] == 5 and data["previous"] is None
    statins = next(c for c in data["results"] if c["slug"] == "statins")
    assert statins == {
        "name": "Statins",
        "slug": "statins",
        "url": "http://testserver/drug-classes/statins/",
        "parent": None,
        "member_count": 1,
        "article_count": 1,
    }
    inhaled = client.get("/api/drug-classes/inhaled-corticosteroids/").json()
    assert inhaled["parent"] == "corticosteroids"
    detail = client.get("/api/drug-classes/corticosteroids/").json()
    assert detail["children"] == [{"name": "Inhaled corticosteroids", "slug": "inhaled-corticosteroids"}]
    assert {"text": "corticosteroid", "kind": "synonym"} in detail["aliases"]
    assert all(a["text"] != "steroids" for a in detail["aliases"])  # ambiguous words are not names
    members = client.get("/api/drug-classes/statins/").json()["members"]
    assert members == [
        {
            "name": "Atorvastatin",
            "slug": class_world["atorvastatin"].slug,
            "url": f"http://testserver/drugs/{class_world['atorvastatin'].slug}/",
            "drugbank_id": class_world["atorvastatin"].drugbank_id,
        }
    ]
    drug = client.get(f"/api/drugs/{class_world['atorvastatin'].slug}/").json()
    assert drug["classes"] == [{"name": "Statins", "slug": "statins"}]
    assert client.get("/api/drug-classes/nope/").status_code == 404


def test_api_reads_a_fixed_number_of_queries(client, class_world, django_assert_num_queries):
    statins = class_world["statins"]
    for n in range(1, 15):
        DrugClassMember.objects.create(drug_class=statins, drug=DrugFactory())
        DrugClassAlias.objects.create(drug_class=statins, text=f"statin type {n}")
    with django_assert_num_queries(3):  # the content stamp (newsbase.httpcache), count, page
        client.get("/api/drug-classes/")
    with django_assert_num_queries(5):  # the stamp, class, children, members, aliases
        client.get("/api/drug-classes/statins/")


def test_schema_describes_the_class_endpoints(client):
    import yaml

    schema = yaml.safe_load(client.get(reverse("api:schema")).content)
    assert {"/api/drug-classes/", "/api/drug-classes/{slug}/"} <= set(schema["paths"])
    detail = schema["components"]["schemas"]["DrugClassDetail"]["properties"]
    assert {"members", "aliases", "children", "parent", "article_count", "member_count"} <= set(detail)
    assert "classes" in schema["components"]["schemas"]["DrugDetail"]["properties"]


# --------------------------------------------------------------------------- admin and merges


def test_editors_edit_members_and_aliases_with_history(editor_client, class_world):
    statins = class_world["statins"]
    response = editor_client.get(changelist_url(DrugClass))
    assert response.status_code == 200 and "Statins" in response.content.decode()
    assert "merge_selected" not in response.content.decode()
    page = editor_client.get(change_url(statins))
    assert page.status_code == 200
    html = page.content.decode()
    assert "member drugs" in html.lower() and "Atorvastatin" in html
    membership = DrugClassMember.objects.get(drug_class=statins)
    membership.delete()
    assert DrugClassMember.history.filter(drug_class_id=statins.pk, history_type="-").exists()
    assert editor_client.get(history_url(statins)).status_code == 200


def test_a_class_cannot_sit_below_itself(class_world):
    from django.core.exceptions import ValidationError

    broad, narrow = class_world["corticosteroids"], class_world["inhaled-corticosteroids"]
    broad.parent = narrow
    with pytest.raises(ValidationError, match="cannot sit below itself"):
        broad.full_clean()


def test_merging_drugs_keeps_their_classes(class_world):
    statins = class_world["statins"]
    duplicate = DrugFactory(name="Atorvastatin calcium")
    DrugClassMember.objects.create(drug_class=statins, drug=duplicate)
    other = DrugClass.objects.get(slug="antidiabetic-drugs")
    DrugClassMember.objects.create(drug_class=other, drug=duplicate)
    services.merge_entities(survivor=class_world["atorvastatin"], others=[duplicate])
    assert set(class_world["atorvastatin"].classes.values_list("slug", flat=True)) == {"statins", "antidiabetic-drugs"}
    assert DrugClassMember.objects.filter(drug_class=statins).count() == 1
