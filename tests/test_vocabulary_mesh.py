"""Conditions' MeSH ids, names and tree numbers agree with MeSH 2017, on a fresh load and a corrected one.

The comparisons with NLM's tree file run where ../shared/mesh is present and skip elsewhere;
the rule and the loader's corrections are tested on small references and specs of our own.
"""

import copy
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from articles.management.commands.check_mesh import mismatches
from articles.models import Condition, ConditionTreeNumber, EntityRedirect, Origin
from articles.vocabulary import loader, meshref, sources
from articles.vocabulary.sources import EntitySpec

REFERENCE = meshref.default_reference_path()
needs_reference = pytest.mark.skipif(not REFERENCE.exists(), reason="../shared/mesh is not present on this machine")


@pytest.fixture(scope="module")
def reference():
    if not REFERENCE.exists():
        pytest.skip("../shared/mesh is not present on this machine")
    return meshref.Reference.read(REFERENCE)


@pytest.fixture(scope="module")
def condition_specs():
    return sources.read_conditions()


# --------------------------------------------------------------------------- against NLM's file


@needs_reference
def test_every_condition_agrees_with_mesh_2017(reference, condition_specs):
    problems = mismatches(condition_specs, reference)
    assert problems == [], f"{len(problems)} disagreements, e.g. {problems[:5]}"
    with_id = [spec for spec in condition_specs.values() if spec.fields.get("mesh_id")]
    assert len(with_id) >= 5_500
    ids = [spec.fields["mesh_id"] for spec in with_id]
    assert len(ids) == len(set(ids)), "a MeSH id is given to two conditions"


@needs_reference
def test_the_shipped_table_is_what_the_rule_gives_today(reference):
    rows = meshref.build_table(reference, sources.disease_dictionary())
    shipped = meshref.read_table(sources.DATA_DIR / meshref.TABLE_NAME)
    assert {row.key: row for row in rows} == shipped, "run manage.py check_mesh --write"


@needs_reference
def test_ids_the_package_got_wrong_are_corrected(reference, condition_specs):
    by_name = {spec.name: spec for spec in condition_specs.values()}
    for name in ("Necrosis", "Fever", "Pain"):
        assert by_name[name].fields["mesh_id"] == reference.by_name[sources.normalize(name)]
    # A descriptor MeSH renamed after 2017 keeps the package's name as an alias.
    infection = by_name["Infection"]
    assert infection.fields["mesh_id"] == "D007239" and "infections" in infection.aliases


@needs_reference
def test_supplement_ids_are_only_for_descriptors_after_2017(reference):
    fixes = sources._read_toml("conditions.toml").get("mesh_id_fixes", {})
    earlier = {name: ui for name, ui in fixes.items() if ui in reference.descriptors}
    assert earlier == {}, "ids of MeSH 2017 descriptors come from the table, not the supplement"


def test_later_descriptors_news_uses_have_their_ids(condition_specs):
    by_name = {spec.name: spec.fields.get("mesh_id") for spec in condition_specs.values()}
    assert by_name["COVID-19"] == "D000086382"
    assert by_name["Post-Acute COVID-19 Syndrome"] == "D000094024"


def test_every_package_condition_is_in_the_table():
    shipped = meshref.read_table(sources.DATA_DIR / meshref.TABLE_NAME)
    missing = set(sources.disease_dictionary()["disease_canonical_to_data"]) - set(shipped)
    assert missing == set(), "run manage.py check_mesh --write"
    assert all(row.mesh_id or row.reason for row in shipped.values()), "a condition without an id needs a reason"


# --------------------------------------------------------------------------- the rule, on our own reference

TINY = """Tree Number\tDesc Ui\tTerm
C01\tD000001\tBacterial Infections and Mycoses
C01.100\tD000002\tInfection
C10.200\tD000003\tAneurysm, Dissecting
C23.300\tD000004\tFever
D27.400\tD000005\tPyrogens
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tree.txt"
    path.write_text(TINY)
    return meshref.Reference.read(path)


@pytest.mark.parametrize(
    ("name", "package_id", "trees", "aliases", "expected"),
    [
        ("Fever", "D000005", ["C23.300"], set(), ("D000004", "name")),  # the package's id is Pyrogens'
        ("Aortic Dissection", "D000003", ["C10.999"], {"aneurysm dissecting"}, ("D000003", "id")),  # renamed later
        ("Infections", "D000009", ["C01"], {"infection"}, ("D000002", "alias")),  # top level is no evidence
        ("Heat Illness", "D000005", ["C23.300"], set(), (None, "not a MeSH 2017 descriptor name; the package's id")),
        ("Long Fever", "D000099999", [], set(), (None, "not in MeSH 2017")),
        ("Feverish Infection", "", ["C23.300"], {"fever", "infection"}, (None, "aliases and tree numbers point")),
    ],
)
def test_resolve_rule(tiny, name, package_id, trees, aliases, expected):
    ui, why = meshref.resolve(tiny, name=name, package_id=package_id, package_trees=trees, aliases=aliases)
    assert ui == expected[0]
    assert why.startswith(expected[1])


def test_same_descriptor_twice_is_merged_into_the_one_named_so(tiny):
    dictionary = {
        "disease_canonical_to_data": {
            "fever": {"name": "Fever", "mesh_id": "D000005", "mesh_tree": ["C23.300"]},
            "fevers": {"name": "Fevers", "mesh_id": "D000004", "mesh_tree": ["C23.300"]},
            "hot skin": {"name": "Hot Skin", "mesh_id": "", "mesh_tree": ["C23.300.999"]},
        },
        "disease_variant_to_canonical": {"fever": ["fever"]},
    }
    rows = {row.key: row for row in meshref.build_table(tiny, dictionary)}
    assert (rows["fever"].mesh_id, rows["fever"].tree_numbers, rows["fever"].reason) == ("D000004", ["C23.300"], "")
    assert (rows["fevers"].reason, rows["fevers"].name) == (meshref.MERGED, "fever")
    assert rows["hot skin"].mesh_id == "" and rows["hot skin"].tree_numbers == ["C23.300.999"]


def test_table_round_trips(tmp_path, tiny):
    rows = [meshref.Row("a, b", "D000004", "Fever", ["C23.300", "D27.1"], ""), meshref.Row("c", reason="why, so")]
    meshref.write_table(rows, tmp_path / "t.tsv")
    assert meshref.read_table(tmp_path / "t.tsv") == {row.key: row for row in rows}


def test_broken_reference_is_a_clear_error(tmp_path):
    bad = tmp_path / "tree.txt"
    bad.write_text("C01\tD000001\n")
    with pytest.raises(CommandError, match="expected 3 tab-separated columns"):
        call_command("check_mesh", "--reference", str(bad), stdout=io.StringIO())


def test_check_mesh_lists_conditions_without_an_id_by_reason():
    out = io.StringIO()
    try:
        call_command("check_mesh", stdout=out)
    except CommandError:
        pytest.fail(out.getvalue())
    text = out.getvalue()
    assert "conditions have no MeSH id:" in text
    assert "not in MeSH 2017; the package's later id cannot be checked" in text


# --------------------------------------------------------------------------- the loader


def _spec(key, name, mesh_id, trees):
    spec = EntitySpec(key=key, name=name, fields={"mesh_id": mesh_id}, tree_numbers=trees)
    spec.add_alias(name, kind="name")
    return spec


@pytest.mark.django_db
def test_loader_corrects_what_it_wrote_and_keeps_what_an_editor_typed():
    # What an old load wrote: the package's swapped ids and trees.
    old = {
        "necrosis": _spec("necrosis", "Necrosis", "D000002", ["C23.200"]),
        "pyroptosis": _spec("pyroptosis", "Pyroptosis", "D000001", ["C23.100"]),
        "fever": _spec("fever", "Fever", "D000004", ["C23.300"]),
        "pain": _spec("pain", "Pain, Old Name", None, ["C23.400"]),
    }
    loader.load(conditions=old)
    editor = get_user_model().objects.create_user("ed")
    fever = Condition.objects.get(vocabulary_key="fever")
    fever.mesh_id, fever._history_user = "D000077", editor
    fever.save()
    hand_made = ConditionTreeNumber(condition=fever, number="C23.301")
    hand_made._history_user = editor
    hand_made.save()

    new = copy.deepcopy(old)
    new["necrosis"].fields["mesh_id"], new["necrosis"].tree_numbers = "D000001", ["C23.100"]
    new["pyroptosis"].fields["mesh_id"], new["pyroptosis"].tree_numbers = "D000002", ["C23.200"]
    new["fever"].fields["mesh_id"], new["fever"].tree_numbers = "D000005", ["C23.300"]
    new["pain"].name, new["pain"].fields["mesh_id"] = "Pain", "D000006"
    report = loader.load(conditions=new)

    def state(key):
        condition = Condition.objects.get(vocabulary_key=key)
        return condition.name, condition.mesh_id, sorted(condition.tree_number_list())

    assert state("necrosis") == ("Necrosis", "D000001", ["C23.100"])  # swapped under the unique constraints
    assert state("pyroptosis") == ("Pyroptosis", "D000002", ["C23.200"])
    assert state("fever") == ("Fever", "D000077", ["C23.300", "C23.301"])  # the editor's id and number stay
    assert state("pain") == ("Pain", "D000006", ["C23.400"])
    assert any("set by an editor" in warning for warning in report.warnings)
    necrosis = Condition.objects.get(vocabulary_key="necrosis")
    assert necrosis.history.first().history_change_reason == loader.CORRECTION_REASON
    assert not loader.load(conditions=new).changed, "a second run changes nothing"


@pytest.mark.django_db
def test_loaded_conditions_agree_with_mesh_in_the_database(reference, condition_specs):
    """A fresh load of a slice (renamed, corrected, later and unresolved conditions) stays true to MeSH."""
    wanted = {"necrosis", "fever", "pain", "infections", "aortic dissection", "covid-19", "mpox (monkeypox)"}
    subset = {key: spec for key, spec in condition_specs.items() if key in wanted}
    subset.update(dict(list(condition_specs.items())[:300]))
    loader.load(conditions=subset)
    checked = 0
    for condition in Condition.objects.prefetch_related("tree_numbers"):
        descriptor = reference.descriptors.get(condition.mesh_id)
        if descriptor is None:
            assert not set(condition.tree_number_list()) & reference.by_tree.keys()
            continue
        assert (condition.name, sorted(condition.tree_number_list())) == (descriptor.name, descriptor.tree_numbers)
        checked += 1
    assert checked >= 250
    assert Condition.objects.get(vocabulary_key="infections").name == "Infection"
    assert Condition.objects.get(vocabulary_key="infections").aliases.filter(normalized="infections").exists()
    assert Condition.objects.filter(origin=Origin.VOCABULARY).count() == len(subset)


@pytest.mark.django_db
def test_two_conditions_found_to_be_one_descriptor_are_merged_once():
    loader.load(
        conditions={"fever": _spec("fever", "Fever", "D000004", []), "fevers": _spec("fevers", "Fevers", None, [])}
    )
    survivor = _spec("fever", "Fever", "D000004", [])
    survivor.merged_keys.append("fevers")
    survivor.add_alias("Fevers")
    loader.load(conditions={"fever": survivor})
    fever = Condition.objects.get()
    assert fever.vocabulary_key == "fever"
    assert fever.aliases.get(normalized="fevers").origin == Origin.VOCABULARY
    assert EntityRedirect.objects.get(vocabulary_key="fevers").target_id == fever.pk
    assert not loader.load(conditions={"fever": survivor}).changed


def test_condition_without_descriptor_is_placed_under_its_parents_2017_position(tiny):
    # A later MeSH moved the branch (C10.200 -> C99.100); the child goes where its parent is in 2017.
    dictionary = {
        "disease_canonical_to_data": {
            "aneurysm": {"name": "Aneurysm, Dissecting", "mesh_id": "D000003", "mesh_tree": ["C99.100"]},
            "new split": {"name": "New Split", "mesh_id": "D000088888", "mesh_tree": ["C99.100.500"]},
            "its child": {"name": "Its Child", "mesh_id": "D000088889", "mesh_tree": ["C99.100.500.200"]},
            "feverlet": {"name": "Feverlet", "mesh_id": "", "mesh_tree": ["C23.300.777", "C01.100.777"]},
            "orphan": {"name": "Orphan", "mesh_id": "", "mesh_tree": ["X99.123.456"]},
        },
        "disease_variant_to_canonical": {},
    }
    rows = {row.key: row for row in meshref.build_table(tiny, dictionary)}
    assert rows["new split"].tree_numbers == ["C10.200.500"]
    assert rows["its child"].tree_numbers == ["C10.200.500.200"]
    # A parent the package lacks is MeSH 2017's descriptor at that number.
    assert rows["feverlet"].tree_numbers == ["C01.100.777", "C23.300.777"]
    assert rows["orphan"].tree_numbers == []
    assert all(not row.mesh_id for key, row in rows.items() if key != "aneurysm")


def test_a_placing_never_takes_a_2017_number(tmp_path):
    dictionary = {
        "disease_canonical_to_data": {
            "infection": {"name": "Infection", "mesh_id": "D000002", "mesh_tree": ["C01.100"]},
            "odd": {"name": "Odd", "mesh_id": "", "mesh_tree": ["C01"]},
            "later": {"name": "Later", "mesh_id": "", "mesh_tree": ["C77.100"]},
        },
        "disease_variant_to_canonical": {},
    }
    tree = TINY + "C23.300.100\tD000006\tHyperpyrexia\n"
    rows = {row.key: row for row in meshref.build_table(_reference(tmp_path, tree), dictionary)}
    assert rows["odd"].tree_numbers == []  # a top-level number has no parent to go under
    assert rows["later"].tree_numbers == []  # C77 is in no 2017 layout
    dictionary["disease_canonical_to_data"]["hot"] = {"name": "Hot", "mesh_id": "", "mesh_tree": ["C23.300.100"]}
    rows = {row.key: row for row in meshref.build_table(_reference(tmp_path, tree), dictionary)}
    assert rows["hot"].tree_numbers == ["C23.300.101"]  # 2017's .100 is Hyperpyrexia's


def _reference(folder, text):
    path = folder / "tree.txt"
    path.write_text(text)
    return meshref.Reference.read(path)


@pytest.mark.django_db
def test_a_partial_load_leaves_the_other_conditions_tree_numbers_alone():
    loader.load(conditions={"fever": _spec("fever", "Fever", "D000004", ["C23.300"])})
    loader.load(conditions={"pain": _spec("pain", "Pain", "D000006", ["C23.400"])})
    assert sorted(ConditionTreeNumber.objects.values_list("number", flat=True)) == ["C23.300", "C23.400"]
