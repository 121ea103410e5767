"""Background work: tasks take ids only and can be run again after a crash."""

from django_tasks import task

from investors.services.cards import send_card_refund as send_card_refund_now


@task()
def send_card_refund(refund_id: int) -> str:
    """Send one refund through Stripe; idempotent, so a retry never refunds twice."""
    return send_card_refund_now(refund_id=refund_id)


@task()
def make_documents(job_id: int) -> int:
    """Make (and email) one batch of documents; run again, it finishes what is missing."""
    from investors.services.documents import run_job

    return run_job(job_id).done
