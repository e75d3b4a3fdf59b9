from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "NewsBase"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import indexing
        from .models import Article

        post_save.connect(indexing.article_saved, sender=Article, dispatch_uid="article-index-save")
        post_delete.connect(indexing.article_deleted, sender=Article, dispatch_uid="article-index-delete")
