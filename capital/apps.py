from django.apps import AppConfig


class CapitalConfig(AppConfig):
    name = "capital"
    verbose_name = "Capital: societies, share classes and offers"

    def ready(self):
        from django.db.models.signals import post_migrate

        from capital import bulk, checks  # noqa: F401  (the any_of lookup; the production checks)

        post_migrate.connect(_sync_board_group)  # after every app's, so all permissions exist


def _sync_board_group(**kwargs):
    from capital.services import sync_board_group

    sync_board_group(create=False)
