from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

PAGE_ERROR = "A page number is a whole number from 1."


def positive_page(value):
    """`page` as an int (1 when absent); a ValidationError (400) when it is not a positive integer."""
    value = (value or "").strip() or "1"
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ValidationError({"page": [PAGE_ERROR]})
    return int(value)


class ArticlePagination(PageNumberPagination):
    """DRF-style pages: {"count", "next", "previous", "results"}; page_size capped.

    A malformed page ("abc", "-1") is a 400 with a message; a page past the last
    one is a 404, as DRF has it.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request, paginator):
        return positive_page(request.query_params.get(self.page_query_param))
