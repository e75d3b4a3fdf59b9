"""Random input never breaks search: property-based, on both endpoints and both databases."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .searchkit import build_world

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
QUERIES = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from(list("\"'*()-:^~+NEARORAND \\%_<>&;\x00é😀я漢")), max_size=40),
    st.sampled_from(["Jakafi", "ruxolitnib", "hair loss", "heart attack", "Alzheimer's"]).map(lambda s: s + " "),
)
PAGES = st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 5).map(str), st.sampled_from(["²", "٣", "1e3", " 2"]))


@pytest.fixture
def world(load_vocabulary_subset):
    return build_world(load_vocabulary_subset)


@FUZZ
@given(query=QUERIES, page=PAGES)
def test_search_page_and_api_never_fail(client, world, query, page):
    params = {"q": query} if page is None else {"q": query, "page": page}
    html = client.get(reverse("articles:search"), params)
    assert html.status_code in (200, 400, 404), (query, page)
    api = client.get(reverse("api:search"), params)
    assert api.status_code in (200, 400, 404), (query, page)
    body = api.json()
    if api.status_code == 200:
        assert body["count"] >= len(body["results"])
        for hit in body["results"]:
            assert "<script" not in hit["snippet"].lower()
    elif api.status_code == 400:
        assert set(body) <= {"q", "page"} and all(body.values())


@FUZZ
@given(query=QUERIES)
def test_autocomplete_never_fails(client, world, query):
    response = client.get(reverse("api:autocomplete"), {"q": query})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert len(response.json()["results"]) <= 8
