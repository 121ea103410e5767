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
        housekeeping_queue()


def _society_page_saved(sender, instance, created, **kwargs):
    if created:
        from cms.boards import sync_board_pages

        sync_board_pages(instance.society)


# Where Wagtail's housekeeping tasks are enqueued from: each module that holds one by name.
WAGTAIL_TASKS = {
    "wagtail.tasks": ("update_reference_index_task", "delete_file_from_storage_task"),
    "wagtail.signal_handlers": ("update_reference_index_task",),
    "wagtail.images.signal_handlers": ("delete_file_from_storage_task",),
    "wagtail.documents.signal_handlers": ("delete_file_from_storage_task",),
}
HOUSEKEEPING = "housekeeping"


def housekeeping_queue() -> None:
    """Send Wagtail's housekeeping (reference-index updates, file deletions) to a queue of its own,
    served after investors' documents and refunds."""
    import importlib

    for module_name, names in WAGTAIL_TASKS.items():
        module = importlib.import_module(module_name)
        for name in names:
            wagtail_task = getattr(module, name)
            if wagtail_task.queue_name != HOUSEKEEPING:
                setattr(module, name, wagtail_task.using(queue_name=HOUSEKEEPING))
