from django.urls import path

from . import syndication, views

app_name = "articles"

condition_feed, condition_atom = syndication.entity_feeds("condition")
drug_feed, drug_atom = syndication.entity_feeds("drug")
institution_feed, institution_atom = syndication.entity_feeds("institution")

urlpatterns = [
    path("", views.home, name="home"),
    path("feed/", syndication.LatestArticlesFeed(), name="feed"),
    path("feed/atom/", syndication.LatestArticlesAtomFeed(), name="feed-atom"),
    path("search/", views.search, name="search"),
    path("articles/", views.article_list, name="article-list"),
    path("articles/<slug:slug>/", views.article_detail, name="article-detail"),
    path("conditions/", views.condition_list, name="condition-list"),
    path("conditions/<slug:slug>/", views.condition_detail, name="condition-detail"),
    path("conditions/<slug:slug>/feed/", condition_feed, name="condition-feed"),
    path("conditions/<slug:slug>/feed/atom/", condition_atom, name="condition-feed-atom"),
    path("drugs/", views.drug_list, name="drug-list"),
    path("drugs/<slug:slug>/", views.drug_detail, name="drug-detail"),
    path("drugs/<slug:slug>/feed/", drug_feed, name="drug-feed"),
    path("drugs/<slug:slug>/feed/atom/", drug_atom, name="drug-feed-atom"),
    path("drug-classes/", views.drug_class_list, name="drug-class-list"),
    path("drug-classes/<slug:slug>/", views.drug_class_detail, name="drug-class-detail"),
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/<slug:slug>/", views.institution_detail, name="institution-detail"),
    path("institutions/<slug:slug>/feed/", institution_feed, name="institution-feed"),
    path("institutions/<slug:slug>/feed/atom/", institution_atom, name="institution-feed-atom"),
]
