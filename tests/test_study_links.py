"""Each story linked to its study (issue 14, item 15): the PubMed id a story states is kept,
shown as a link on the article page and given in the API's evidence, beside DOI and trial ids.
Sentences are our own."""

import pytest

from articles.ingest import evidence

from .searchkit import story

SENTENCES = [
    ("The trial was reported in a journal (PMID: 31234567).", "31234567"),
    ("Its abstract is listed on PubMed ID 2345678 for readers.", "2345678"),
    ("The amplifier was 12 volts and no study was cited.", ""),
]


@pytest.mark.parametrize(("text", "pmid"), SENTENCES)
def test_pmid_extracted(text, pmid):
    assert evidence.extract(text).pmid == pmid


@pytest.mark.django_db
def test_pmid_on_article_page_and_api(client):
    article = story("A study on sleep", "A sleep study was described (PMID 30111222).", pmid="30111222")
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/30111222/"' in html
    data = client.get(f"/api/articles/{article.slug}/").json()
    assert data["evidence"]["pmid"] == "30111222"
    other = story("No study", "Nothing cited.")
    assert client.get(f"/api/articles/{other.slug}/").json()["evidence"]["pmid"] is None
