"""Where background tasks lived before each moved into the module whose work it runs.

A queued task is stored by its dotted path, so a row queued under these names before an upgrade
must still find its task. Keep them until no stored task names them; new code imports the task
from its own module.
"""

from investors.documents.services import make_documents
from investors.payments.refunds import send_card_refund_task as send_card_refund

__all__ = ["make_documents", "send_card_refund"]
