"""Cleaning scraped text: the story stays whole, the site around it goes."""

from pathlib import Path

import pytest

from articles.ingest.clean import clean_text, paragraphs_of, split_title

DATA = Path(__file__).resolve().parent / "data" / "ingest"


def clean_file(name):
    title, rest = split_title((DATA / name).read_text())
    return title, clean_text(rest, title=title)


def test_example_article_is_exactly_its_story(example_article_path):
    raw = example_article_path.read_text()
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    cut = lines.index("Latest Stories")
    story, sidebar = lines[:cut], lines[cut:]
    title, rest = split_title(raw)
    cleaned = clean_text(rest, title=title)
    assert title == story[0]
    # The first line is a lede sentence, not a headline: it stays in the body too.
    assert cleaned.body.split("\n\n") == story
    for line in sidebar:
        if any(c.isalpha() for c in line) and not line[0].isdigit():
            assert line not in cleaned.body
    assert "mins" not in cleaned.body and "Latest Stories" not in cleaned.body


def test_related_list_bylines_and_share_lines_are_removed():
    title, cleaned = clean_file("related-list.txt")
    assert title == "Hospital trial finds shorter antibiotic course works for pneumonia"
    assert cleaned.body.split("\n\n") == [
        "Children with pneumonia did as well on three days of amoxicillin as on seven, a trial in hospitals "
        "across England found.",
        "The researchers followed 824 children treated in emergency departments.",
        "Shorter courses could cut side effects and slow antibiotic resistance, they said.",
    ]
    reasons = {reason for reason, _ in cleaned.removed}
    assert {"byline", "boilerplate", "link list"} <= reasons


def test_trending_bullets_cookie_and_copyright_lines_are_removed():
    _, cleaned = clean_file("trending-bullets.txt")
    assert cleaned.body.split("\n\n") == [
        "Long exposure to fine particles from traffic was linked to a higher risk of dementia in a study of "
        "older adults.",
        "The team analysed records from more than 27,000 people over a decade.",
        "Cleaner air policies may bring benefits for brain health, the authors wrote.",
    ]


def test_most_read_with_timestamps_and_inline_read_more():
    _, cleaned = clean_file("most-read-timestamps.txt")
    assert "Read more" not in cleaned.body
    assert "Ministers" not in cleaned.body and "Yesterday" not in cleaned.body
    assert cleaned.body.endswith("a colonoscopy is still needed to confirm a positive result.")
    assert len(cleaned.body.split("\n\n")) == 3


def test_headless_list_of_headlines_with_timestamps():
    _, cleaned = clean_file("headless-list.txt")
    assert cleaned.body.split("\n\n") == [
        "Extreme heat increased admissions for heart attacks among people over 75, an analysis of hospital data shows.",
        "The effect was strongest on the second day of a heat wave.",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Researchers said people could share their data with the study team if they wished to take part.",
        "The cookies given to the children in the trial contained no added sugar, the dietitians said.",
        "Related conditions, such as eczema and hay fever, were more common in the group that had asthma.",
    ],
)
def test_story_sentences_that_mention_boilerplate_words_stay(line):
    assert clean_text(f"First paragraph of the story.\n{line}").body.endswith(line)


def test_a_short_subheading_followed_by_story_is_kept():
    text = "The trial began in 2021.\nTrending upwards\nCases rose every month after that, the report said."
    assert clean_text(text).body.split("\n\n") == [
        "The trial began in 2021.",
        "Trending upwards",
        "Cases rose every month after that, the report said.",
    ]


def test_hard_wrapped_paragraphs_are_joined():
    text = (
        "The study followed patients for five years and found that those who took the\n"
        "drug every day had fewer relapses than those who took a placebo tablet each\n"
        "morning.\n\nSecond paragraph."
    )
    assert paragraphs_of(text) == [
        "The study followed patients for five years and found that those who took the drug every day had fewer "
        "relapses than those who took a placebo tablet each morning.",
        "Second paragraph.",
    ]


def test_headline_title_is_not_repeated_in_body():
    title, rest = split_title("Flu cases rise\n\nFlu cases rise\nHospitals are busy this winter.")
    assert title == "Flu cases rise"
    assert clean_text(rest, title=title).body == "Hospitals are busy this winter."
