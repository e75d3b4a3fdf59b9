"""The one FilterSet behind /articles/, /search/ and /api/articles/.

Each filter narrows through a QuerySet method (links of public articles, never a
text scan); an unknown slug, a bad date or a year out of range is a validation
error — a 400 with a message — never a 500. /search/ validates with the same form
and hands its cleaned data to the search service, which applies the filters in its
own SQL (``articles.search.service.build_plan``), so facet links built from these
parameters narrow both the same way.

Dates and years are bounded (1900 to 2100): a date near the ends of the calendar
(``9999-12-31``, whose next day does not exist) is a 400 naming the parameter, not an
overflow further down. Page numbers are parsed here too, for the HTML pages and the API.
"""

import datetime

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import PUBLIC_LINK_STATUSES, Article, Condition, Drug, Institution, Source
from .search import service
from .search.query import MAX_QUERY_LENGTH

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
MAX_PAGE = 999_999_999
PAGE_ERROR = f"a page number is a whole number from 1 to {MAX_PAGE:,}."


def page_number_from(value):
    """`page` as a positive int (1 when absent or blank), or None when it is not a page number.

    Digits are counted before int() sees them: a 5,000-digit page is refused, not a ValueError.
    """
    value = (value or "").strip() or "1"
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(MAX_PAGE))):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_PAGE else None


class BoundedDateField(forms.DateField):
    """A YYYY-MM-DD date between 1900-01-01 and 2100-12-31 (the years the `year` filter takes)."""

    default_error_messages = {
        "out_of_range": f"Use a date between {EARLIEST_YEAR}-01-01 and {LATEST_YEAR}-12-31.",
    }

    def validate(self, value):
        super().validate(value)
        if value and not (EARLIEST_YEAR <= value.year <= LATEST_YEAR):
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")


class BoundedDateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


@extend_schema_field(OpenApiTypes.STR)
class SlugFilter(django_filters.ModelChoiceFilter):
    """An entity or source chosen by its slug."""


class ArticleOrdering(django_filters.OrderingFilter):
    """published / -published / title / -title; "relevance" means the search order."""

    RELEVANCE = "relevance"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fields", (("published", "published"), ("title", "title")))
        kwargs.setdefault("field_labels", {"published": "Date", "title": "Title"})
        super().__init__(*args, **kwargs)
        self.extra["choices"] = [(self.RELEVANCE, "Relevance"), *self.extra["choices"]]

    def filter(self, queryset, value):
        value = [v for v in value or [] if v != self.RELEVANCE]
        return super().filter(queryset, value)


def _entity_filter(model, label):
    return SlugFilter(
        queryset=model.objects.all(),
        to_field_name="slug",
        method=f"filter_{model._meta.model_name}",
        label=label,
        error_messages={"invalid_choice": f"There is no {label.lower()} with the slug “%(value)s”."},
    )


class ArticleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        max_length=MAX_QUERY_LENGTH,
        help_text="A drug (generic or brand), condition or institution name, or any words.",
        error_messages={"max_length": f"Keep the search under {MAX_QUERY_LENGTH} characters."},
    )
    condition = _entity_filter(Condition, "Condition")
    drug = _entity_filter(Drug, "Drug")
    institution = _entity_filter(Institution, "Institution")
    source = _entity_filter(Source, "Source")
    published_after = BoundedDateFilter(
        method="filter_published_after", label="Published on or after", help_text="YYYY-MM-DD"
    )
    published_before = BoundedDateFilter(
        method="filter_published_before", label="Published on or before", help_text="YYYY-MM-DD"
    )
    year = IntegerFilter(method="filter_year", label="Year", min_value=EARLIEST_YEAR, max_value=LATEST_YEAR)
    ordering = ArticleOrdering(label="Order")

    class Meta:
        model = Article
        fields = []

    def filter_q(self, queryset, name, value):
        return service.filter_queryset(queryset, value) if value.strip() else queryset

    def _linked(self, queryset, kind, entity):
        """Articles with a public link to `entity`, joined through its link table.

        The join (not an IN subquery) lets the newest-first order walk the link table's
        (entity, published) index — the copied date — instead of sorting every article.
        """
        related = f"{kind}_links"
        self.browse_order = self.browse_order or f"-{related}__published"
        return queryset.filter(
            **{
                f"{related}__{kind}": entity,
                f"{related}__published__isnull": False,
                f"{related}__status__in": PUBLIC_LINK_STATUSES,
            }
        )

    def filter_condition(self, queryset, name, value):
        return self._linked(queryset, "condition", value)

    def filter_drug(self, queryset, name, value):
        return self._linked(queryset, "drug", value)

    def filter_institution(self, queryset, name, value):
        return self._linked(queryset, "institution", value)

    def filter_queryset(self, queryset):
        self.browse_order = None
        queryset = super().filter_queryset(queryset)
        if self.browse_order and not self.form.cleaned_data.get("ordering"):
            queryset = queryset.order_by(self.browse_order, "-pk")
        return queryset

    def filter_source(self, queryset, name, value):
        return queryset.for_source(value)

    def filter_published_after(self, queryset, name, value):
        return queryset.filter(published__gte=service.day_start(value))

    def filter_published_before(self, queryset, name, value):
        return queryset.filter(published__lt=service.day_start(value + datetime.timedelta(days=1)))

    def filter_year(self, queryset, name, value):
        start, end = service.day_start(datetime.date(value, 1, 1)), service.day_start(datetime.date(value + 1, 1, 1))
        return queryset.filter(published__gte=start, published__lt=end)

    @property
    def search_ordering(self):
        """The search service's order for the validated `ordering` ("relevance", "newest", "oldest")."""
        values = self.form.cleaned_data.get("ordering") or []
        if "-published" in values:
            return "newest"
        if "published" in values:
            return "oldest"
        return "relevance"

    def active_filters(self):
        """[(parameter, label, value label)] of the filters in use, for "remove" links."""
        data = self.form.cleaned_data
        active = []
        for name in ("condition", "drug", "institution", "source"):
            if data.get(name) is not None:
                active.append((name, self.filters[name].label, data[name].name))
        for name in ("published_after", "published_before", "year"):
            if data.get(name):
                active.append((name, self.filters[name].label, str(data[name])))
        return active
