from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Public site"

    def ready(self):
        housekeeping_queue()


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
