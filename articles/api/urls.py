from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import views

app_name = "api"

urlpatterns = [
    path("", views.ApiRoot.as_view(), name="root"),
    path("docs/", views.ApiDocs.as_view(), name="docs"),
    path("articles/", views.ArticleList.as_view(), name="article-list"),
    path("articles/<slug:slug>/", views.ArticleDetail.as_view(), name="article-detail"),
    path("drugs/", views.DrugList.as_view(), name="drug-list"),
    path("drugs/<slug:slug>/", views.DrugDetail.as_view(), name="drug-detail"),
    path("conditions/", views.ConditionList.as_view(), name="condition-list"),
    path("conditions/<slug:slug>/", views.ConditionDetail.as_view(), name="condition-detail"),
    path("drug-classes/", views.DrugClassList.as_view(), name="drug-class-list"),
    path("drug-classes/<slug:slug>/", views.DrugClassDetail.as_view(), name="drug-class-detail"),
    path("institutions/", views.InstitutionList.as_view(), name="institution-list"),
    path("institutions/<slug:slug>/", views.InstitutionDetail.as_view(), name="institution-detail"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("autocomplete/", views.AutocompleteView.as_view(), name="autocomplete"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
