from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Public site"

    def ready(self):
        from wagtail.signals import page_published

        from cms.models import NewsPage
        from cms.news import news_published

        page_published.connect(news_published, sender=NewsPage, dispatch_uid="cms.news_published")
