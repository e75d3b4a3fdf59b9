from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from articles.sitemaps import SITEMAPS
from articles.views import robots_txt

from .views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("articles.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots-txt"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap-section"),
    path("", include("articles.urls")),
]

# JSON under /api/, the site's pages elsewhere (newsbase.errors).
handler400 = "newsbase.errors.bad_request"
handler403 = "newsbase.errors.permission_denied"
handler404 = "newsbase.errors.page_not_found"
handler500 = "newsbase.errors.server_error"
