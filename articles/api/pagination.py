from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from ..filters import PAGE_ERROR, page_number_from


def positive_page(value):
    """`page` as an int (1 when absent); a ValidationError (400) when it is not a page number."""
    number = page_number_from(value)
    if number is None:
        raise ValidationError({"page": [PAGE_ERROR.capitalize()]})
    return number


class ArticlePagination(PageNumberPagination):
    """DRF-style pages: {"count", "next", "previous", "results"}; page_size capped.

    A malformed page ("abc", "-1") is a 400 with a message; a page past the last
    one is a 404, as DRF has it.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_schema_operation_parameters(self, view):
        """`page` starts at 1 (page=0 is a 400, declared); page_size above the cap is capped, not refused."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters

    def get_page_number(self, request, paginator):
        return positive_page(request.query_params.get(self.page_query_param))
