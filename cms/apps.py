from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Public site"

    def ready(self):
        from django.db.models.signals import post_migrate, post_save
        from wagtail.signals import page_published

        from capital.decisions import decision_taken
        from capital.services import register_offer_created, register_opening_check
        from cms.boards import board_changed, sync_every_board
        from cms.models import NewsPage, SocietyPage
        from cms.news import news_published
        from cms.offer_pages import make_draft_page, missing_for_opening

        register_offer_created(make_draft_page)
        register_opening_check(missing_for_opening)
        decision_taken.connect(board_changed, dispatch_uid="cms.board_pages")
        post_save.connect(_society_page_saved, sender=SocietyPage, dispatch_uid="cms.society_page_saved")
        post_migrate.connect(sync_every_board, dispatch_uid="cms.sync_every_board")
        page_published.connect(news_published, sender=NewsPage, dispatch_uid="cms.news_published")


def _society_page_saved(sender, instance, created, **kwargs):
    if created:
        from cms.boards import sync_board_pages

        sync_board_pages(instance.society)
