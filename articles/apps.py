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

        # What readers see changed: cached search results and HTTP validators expire (articles.stamp).
        from . import models, stamp

        stamped = (
            Article,
            models.Source,
            models.ConditionTreeNumber,
            models.DrugClass,
            models.DrugClassMember,
            models.FacetSnapshot,  # precomputed counts: search reads them
            models.DrugConditionReport,  # "conditions it is reported for" on drug pages
            *models.ENTITY_MODELS,
            *models.LINK_MODELS,
            *models.ALIAS_MODELS.values(),
        )
        for model in stamped:
            for signal in (post_save, post_delete):
                signal.connect(stamp.bump, sender=model, dispatch_uid=f"stamp-{signal is post_save}-{model.__name__}")
