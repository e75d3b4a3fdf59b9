from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("articles/", views.article_list, name="article-list"),
    path("articles/<slug:slug>/", views.article_detail, name="article-detail"),
    path("conditions/", views.condition_list, name="condition-list"),
    path("conditions/<slug:slug>/", views.condition_detail, name="condition-detail"),
    path("drugs/", views.drug_list, name="drug-list"),
    path("drugs/<slug:slug>/", views.drug_detail, name="drug-detail"),
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/<slug:slug>/", views.institution_detail, name="institution-detail"),
]
