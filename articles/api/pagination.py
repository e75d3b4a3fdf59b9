from rest_framework.pagination import PageNumberPagination


class ArticlePagination(PageNumberPagination):
    """DRF-style pages: {"count", "next", "previous", "results"}; page_size capped."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
