"""Investors' documents, made once and kept: certificates, statements and yearly summaries, one
at a time or in background jobs that email each holder theirs.

A document is rendered outside any transaction (a render takes about a tenth of a second) and
then stored in a short one. Two workers making the same document both render, but only one is
stored: the database allows one document per certificate, per run and holder, and per tax year
and holder. A job is asked for inside the transaction whose outcome it reports (an allocation,
a run's approval) and queued only once that transaction commits, so no email ever describes
something that was rolled back.
"""

import datetime
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from capital import permissions
from capital.models import Offer, Society
from capital.services import record_audit
from investors.documents.pdfs import annual_summary_pdf, statement_pdf, surplus_statement_pdf
from investors.errors import DocumentError
from investors.models import DistributionRun, Document, DocumentJob, DocumentJobChunk, SurplusRun
from investors.notify import MAIL_FAILURES, holder_message
from investors.runs.statements import statement_holders, summary_holders
from investors.runs.tax_year import tax_year, tax_year_of
from investors.surplus.statements import surplus_statement_holders
from shares.documents import certificate_pdf, register_pdf
from shares.models import Certificate, Holder

logger = logging.getLogger(__name__)

Kind = Document.Kind
JobKind = DocumentJob.Kind
JobState = DocumentJob.State
ChunkState = DocumentJobChunk.State

# A running job that has made nothing for this long has lost its worker and may be resumed.
STALLED_AFTER = datetime.timedelta(minutes=5)
# A chunk whose worker has shown no sign of life for as long is taken over by the next to ask.
CHUNK_CLAIM_EXPIRES = STALLED_AFTER


# --- One document --------------------------------------------------------------------------------


def certificate_document(
    certificate: Certificate, *, remade_since: datetime.datetime | None = None
) -> Document:
    """The stored PDF of `certificate`, made now if it has none (or none since `remade_since`)."""
    return _stored(
        lookup={"kind": Kind.CERTIFICATE, "certificate": certificate},
        fields={"society_id": certificate.society_id, "holder_id": certificate.holder_id},
        filename=f"certificate-{certificate.number}.pdf",
        render=lambda: certificate_pdf(certificate),
        remade_since=remade_since,
    )


def statement_document(
    run: DistributionRun, holder: Holder, *, remade_since: datetime.datetime | None = None
) -> Document:
    return _stored(
        lookup={"kind": Kind.STATEMENT, "run": run, "holder": holder},
        fields={"society_id": run.share_class.society_id},
        filename=f"statement-run-{run.pk}-year-{run.year}-{holder.pk}.pdf",
        render=lambda: statement_pdf(run, holder),
        remade_since=remade_since,
    )


def surplus_statement_document(
    run: SurplusRun, holder: Holder, *, remade_since: datetime.datetime | None = None
) -> Document:
    return _stored(
        lookup={"kind": Kind.SURPLUS_STATEMENT, "surplus_run": run, "holder": holder},
        fields={"society_id": run.society_id},
        filename=f"surplus-statement-run-{run.pk}-{run.ends_on:%Y}-{holder.pk}.pdf",
        render=lambda: surplus_statement_pdf(run, holder),
        remade_since=remade_since,
    )


def summary_document(
    society: Society, holder: Holder, tax_year: int, *, remade_since: datetime.datetime | None = None
) -> Document:
    return _stored(
        lookup={"kind": Kind.ANNUAL_SUMMARY, "society": society, "holder": holder, "tax_year": tax_year},
        fields={},
        filename=f"summary-{tax_year}-{str(tax_year + 1)[-2:]}-{holder.pk}.pdf",
        render=lambda: annual_summary_pdf(society, holder, tax_year),
        remade_since=remade_since,
    )


def _stored(
    *, lookup: dict, fields: dict, filename: str, render: Callable[[], bytes], remade_since
) -> Document:
    existing = Document.objects.filter(**lookup).first()
    if existing is not None and (remade_since is None or existing.generated_at >= remade_since):
        return existing
    pdf = render()
    with transaction.atomic():
        current = Document.objects.select_for_update().filter(**lookup).first()
        if current is not None and (remade_since is None or current.generated_at >= remade_since):
            return current  # another worker stored it while this one rendered
        document = current or Document(**lookup, **fields)
        old_file = document.file.name if current else None
        document.digest = hashlib.sha256(pdf).hexdigest()
        document.size = len(pdf)
        document.generated_at = timezone.now()
        document.emailed_at = document.emailing_since = None
        # A name that changes with the content, so a remade document never reuses a cached copy.
        stem = filename.removesuffix(".pdf")
        document.file.save(f"{stem}-{document.digest[:8]}.pdf", ContentFile(pdf), save=False)
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:  # stored by another worker in the meantime: keep theirs
            document.file.delete(save=False)
            return Document.objects.get(**lookup)
        if old_file and old_file != document.file.name:
            storage = document.file.storage
            transaction.on_commit(lambda: storage.delete(old_file))
    return document


# --- Jobs ------------------------------------------------------------------------------------------


def request_documents(
    *,
    society: Society,
    kind: str,
    offer: Offer | None = None,
    run: DistributionRun | None = None,
    surplus_run: SurplusRun | None = None,
    tax_year: int | None = None,
    regenerate: bool = False,
    send_emails: bool = False,
    by=None,
) -> DocumentJob:
    """Ask for a batch of documents to be made in the background (the board's button).

    If the same batch is already queued or running, that job is returned instead of a second.
    """
    permissions.require(by, "issue_documents", society)
    _check_batch(society, kind, offer, run, tax_year, surplus_run)
    return _queue_job(
        society=society,
        kind=kind,
        offer=offer,
        run=run,
        surplus_run=surplus_run,
        tax_year=tax_year,
        regenerate=regenerate,
        send_emails=send_emails,
        by=by,
    )


def request_register_pdf(*, society: Society, by=None) -> DocumentJob:
    """The register of members as a PDF, made in the background (a large society's takes
    minutes); a request while one is being made joins it."""
    permissions.require(by, _permission_for(JobKind.REGISTER_PDF), society)
    return _queue_job(society=society, kind=JobKind.REGISTER_PDF, by=by)


def documents_after_allocation(offer: Offer) -> DocumentJob:
    """Certificates for an offer's allocation, emailed to each investor once it commits."""
    return _queue_job(society=offer.society, kind=JobKind.OFFER_CERTIFICATES, offer=offer, send_emails=True)


def certificate_after_late_issue(entry_id: int) -> None:
    """The certificate of shares issued after their offer was allocated (a card taken later),
    made and emailed to its holder by a documents worker once this commits, as the allocation's
    were. A send the mail server refuses is in the audit trail; the offer's certificates, asked
    for again with emails from the admin, send it then (every document is emailed once)."""
    transaction.on_commit(lambda: make_late_certificate.enqueue(entry_id))


@task(queue_name="documents")
def make_late_certificate(entry_id: int) -> int:
    certificates = Certificate.objects.filter(ledger_entry=entry_id, state=Certificate.State.VALID)
    made = 0
    for certificate in certificates.select_related("society", "holder", "share_class", "ledger_entry"):
        document = certificate_document(certificate)
        if _email_once(document) == REFUSED:
            record_audit(
                society=certificate.society,
                actor=None,
                action="document.email_refused",
                summary=f"The mail server refused certificate {certificate.number} for {certificate.holder}: "
                "ask for the offer's certificates again, with emails, to send it",
                document=document.pk,
            )
        made += 1
    return made


def documents_after_approval(run: DistributionRun) -> DocumentJob:
    """Statements for an approved run, emailed to each holder once the approval commits."""
    return _queue_job(society=run.society, kind=JobKind.RUN_STATEMENTS, run=run, send_emails=True)


def documents_after_surplus_approval(run: SurplusRun) -> DocumentJob:
    """Statements for an approved surplus run, emailed to each member paid once it commits."""
    return _queue_job(society=run.society, kind=JobKind.SURPLUS_STATEMENTS, surplus_run=run, send_emails=True)


def _check_batch(society: Society, kind: str, offer, run, tax_year, surplus_run=None) -> None:
    if kind == JobKind.OFFER_CERTIFICATES:
        if offer is None or offer.share_class.society_id != society.pk:
            raise DocumentError("Choose one of this society's offers.")
        if offer.state != Offer.State.ALLOCATED:
            raise DocumentError(f"“{offer.title}” has not been allocated: it has no certificates yet.")
    elif kind == JobKind.RUN_STATEMENTS:
        if run is None or run.share_class.society_id != society.pk:
            raise DocumentError("Choose one of this society's distribution runs.")
        if run.state not in DistributionRun.DECIDED:
            raise DocumentError(
                f"Year {run.year} of {run.share_class.name} is still a draft: approve it before "
                "sending statements."
            )
    elif kind == JobKind.SURPLUS_STATEMENTS:
        if surplus_run is None or surplus_run.society_id != society.pk:
            raise DocumentError("Choose one of this society's surplus runs.")
        if surplus_run.state not in SurplusRun.DECIDED:
            raise DocumentError(
                f"The surplus run for the year ending {surplus_run.ends_on:%-d %B %Y} is still a draft: "
                "approve it before sending statements."
            )
    elif kind == JobKind.ANNUAL_SUMMARIES:
        # Only a tax year that has ended: a summary is made once and kept.
        last_ended = tax_year_of(timezone.localdate()) - 1
        if tax_year is None or not 2000 <= tax_year <= last_ended:
            raise DocumentError(
                f"Choose a tax year that has ended, from 2000 to {last_ended} (the year it starts in)."
            )
    elif kind not in (JobKind.SOCIETY_CERTIFICATES, JobKind.REGISTER_PDF):
        raise DocumentError(f"There is no batch of documents called {kind!r}.")


def _queue_job(
    *,
    society,
    kind,
    offer=None,
    run=None,
    surplus_run=None,
    tax_year=None,
    regenerate=False,
    send_emails=False,
    by=None,
):
    job = DocumentJob(
        society=society,
        kind=kind,
        offer=offer,
        run=run,
        surplus_run=surplus_run,
        tax_year=tax_year,
        regenerate=regenerate,
        send_emails=send_emails,
        created_by=by,
    )
    with transaction.atomic():
        unfinished = DocumentJob.objects.filter(
            society=society, batch=job.batch_key(), state__in=DocumentJob.UNFINISHED
        ).first()
        if unfinished is not None:
            if (unfinished.regenerate, unfinished.send_emails) != (regenerate, send_emails):
                raise DocumentError(
                    "The same documents are already being made with other options (making them again, "
                    "or emailing them); wait for that batch to finish, then ask again."
                )
            return unfinished
        job.total = _count_items(job)
        try:
            with transaction.atomic():
                job.save()
        except IntegrityError:  # asked for at the same moment by someone else
            return DocumentJob.objects.get(society=society, batch=job.batch, state__in=DocumentJob.UNFINISHED)
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    make_documents.enqueue(job_id)


@task(queue_name="documents")
def make_documents(job_id: int) -> int:
    """Split one batch into chunks and queue a task per chunk, which any number of workers take
    at once; run again (a resume), it queues again whatever is not finished."""
    job, orphaned_before, chunk_ids = start_job(job_id)
    orphaned = orphaned_before.isoformat() if orphaned_before else None
    for chunk_id in chunk_ids:
        make_document_chunk.enqueue(chunk_id, orphaned)
    return len(chunk_ids)


@task(queue_name="documents")
def make_document_chunk(chunk_id: int, orphaned_before: str | None = None) -> int:
    """Make (and email) one chunk of a job's documents."""
    since = datetime.datetime.fromisoformat(orphaned_before) if orphaned_before else None
    return run_chunk(chunk_id, orphaned_before=since)


def resume_job(job: DocumentJob, *, by=None) -> DocumentJob:
    """Queue a job again (see `may_resume`); it makes and sends only what is still missing."""
    permissions.require(by, _permission_for(job.kind), job.society)
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update().get(pk=job.pk)
        if not may_resume(job):
            raise DocumentError(
                "This job is not stuck: it is queued, running or finished with every email sent."
            )
        # Its figures stay until each chunk, run again, counts itself afresh.
        job.state, job.error, job.heartbeat_at = JobState.QUEUED, "", timezone.now()
        try:
            with transaction.atomic():
                job.save(update_fields=["state", "error", "heartbeat_at"])
        except IntegrityError:
            raise DocumentError("The same documents are already being made by a newer job.") from None
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _permission_for(kind: str) -> str:
    """The register PDF is for whoever may see the register; other batches, for the board."""
    return "view_register" if kind == JobKind.REGISTER_PDF else "issue_documents"


def may_resume(job: DocumentJob, now: datetime.datetime | None = None) -> bool:
    """Failed, stalled, or finished with emails the mail server refused (to try them again)."""
    return (
        job.state == JobState.FAILED
        or is_stalled(job, now)
        or (job.state == JobState.FINISHED and job.unsent > 0)
    )


def is_stalled(job: DocumentJob, now: datetime.datetime | None = None) -> bool:
    if job.state not in DocumentJob.UNFINISHED:
        return False
    last_sign = job.heartbeat_at or job.started_at or job.created_at
    return (now or timezone.now()) - last_sign > STALLED_AFTER


@dataclass
class JobItem:
    make: Callable[[datetime.datetime | None], Document | None]


def _count_items(job: DocumentJob) -> int:
    """How many documents the job makes, counted by the database (nothing is loaded)."""
    return _sources(job)[0].count()


def _sources(job: DocumentJob) -> tuple[QuerySet, Callable[[object], JobItem]]:
    """The rows the job makes a document for, in order, and how to make one from a row."""
    if job.kind in (JobKind.OFFER_CERTIFICATES, JobKind.SOCIETY_CERTIFICATES):
        certificates = Certificate.objects.filter(state=Certificate.State.VALID).select_related(
            "society", "holder", "share_class", "ledger_entry"
        )
        if job.kind == JobKind.OFFER_CERTIFICATES:
            certificates = certificates.filter(ledger_entry__allocated_application__offer=job.offer_id)
        else:
            certificates = certificates.filter(society=job.society_id)
        return certificates.order_by("number"), lambda c: JobItem(
            lambda since: certificate_document(c, remade_since=since)
        )
    if job.kind == JobKind.RUN_STATEMENTS:
        run = DistributionRun.objects.select_related("share_class__society").get(pk=job.run_id)
        return statement_holders(run).order_by("pk"), lambda h: JobItem(
            lambda since: statement_document(run, h, remade_since=since)
        )
    if job.kind == JobKind.SURPLUS_STATEMENTS:
        surplus_run = SurplusRun.objects.select_related("society").get(pk=job.surplus_run_id)
        return surplus_statement_holders(surplus_run).order_by("pk"), lambda h: JobItem(
            lambda since: surplus_statement_document(surplus_run, h, remade_since=since)
        )
    if job.kind == JobKind.REGISTER_PDF:
        return Society.objects.filter(pk=job.society_id).order_by("pk"), lambda society: JobItem(
            lambda since: _store_register_pdf(job, society)
        )
    return summary_holders(job.society, job.tax_year).order_by("pk"), lambda h: JobItem(
        lambda since: summary_document(job.society, h, job.tax_year, remade_since=since)
    )


def _chunk_size() -> int:
    return max(1, int(getattr(settings, "DOCUMENT_CHUNK_SIZE", 25)))


def start_job(job_id: int) -> tuple[DocumentJob, datetime.datetime | None, list[int]]:
    """Mark the job running and return the chunks still to make, splitting it into chunks the
    first time (the rows it covers are fixed then), with the moment it was resumed, if it was.

    A resumed job runs every chunk again: what exists is skipped, and an email the mail server
    refused is tried again."""
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update().select_related("society").get(pk=job_id)
        if job.state not in DocumentJob.UNFINISHED:
            return job, None, []
        # A job queued again after it ran (`resume_job`: it had stalled, failed or left emails
        # unsent) has no worker of its earlier run left alive: a chunk or a send one of them
        # claimed before the resume will never be finished by it, however young the claim.
        resumed_at = job.heartbeat_at if job.state == JobState.QUEUED and job.started_at else None
        if job.state == JobState.QUEUED:
            if not job.chunks.exists():
                keys = list(_sources(job)[0].values_list("pk", flat=True))
                size = _chunk_size()
                DocumentJobChunk.objects.bulk_create(
                    DocumentJobChunk(job=job, position=position, keys=keys[start : start + size])
                    for position, start in enumerate(range(0, len(keys), size))
                )
                job.total, job.done = len(keys), 0
            else:
                finished = [ChunkState.DONE, ChunkState.FAILED]
                job.chunks.filter(state__in=finished).update(state=ChunkState.QUEUED)
            job.state = JobState.RUNNING
            job.started_at = job.heartbeat_at = timezone.now()
            job.save(update_fields=["state", "total", "done", "started_at", "heartbeat_at"])
        pending = list(job.chunks.exclude(state=ChunkState.DONE).values_list("pk", flat=True))
    if not pending:
        _finish_if_complete(job.pk)
    return job, resumed_at, pending


def run_chunk(chunk_id: int, *, orphaned_before: datetime.datetime | None = None) -> int:
    """Make (and email) the documents of one chunk, if no other worker has it. Returns how many
    it made; 0 when the chunk was taken, finished, or its job is not running."""
    now = timezone.now()
    free = Q(state__in=[ChunkState.QUEUED, ChunkState.FAILED]) | Q(
        state=ChunkState.RUNNING, claimed_at__lt=now - CHUNK_CLAIM_EXPIRES
    )
    if orphaned_before is not None:
        free |= Q(state=ChunkState.RUNNING, claimed_at__lt=orphaned_before)
    with transaction.atomic():
        chunk = (
            DocumentJobChunk.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(free, pk=chunk_id, job__state=JobState.RUNNING)
            .first()
        )
        if chunk is None:
            return 0
        if chunk.done:  # taken over (or run again): what it counted is counted again from here
            DocumentJob.objects.filter(pk=chunk.job_id).update(
                done=F("done") - chunk.done,
                emailed=F("emailed") - chunk.emailed,
                unsent=F("unsent") - chunk.unsent,
            )
        chunk.state, chunk.claimed_at = ChunkState.RUNNING, now
        chunk.done = chunk.emailed = chunk.unsent = 0
        chunk.attempt += 1
        chunk.save(update_fields=["state", "attempt", "done", "emailed", "unsent", "claimed_at"])
    job = DocumentJob.objects.select_related("society").get(pk=chunk.job_id)
    mine = DocumentJobChunk.objects.filter(pk=chunk.pk, attempt=chunk.attempt)
    rows, item = _sources(job)
    since = job.created_at if job.regenerate else None
    made = emailed = unsent = 0
    try:
        for row in rows.filter(pk__in=chunk.keys):
            document = item(row).make(since)
            sent = refused = 0
            if job.send_emails and document is not None:
                outcome = _email_once(document, orphaned_before)
                # Sent in this job by a worker that was lost before counting it: counted here.
                sent = int(
                    outcome == SENT
                    or outcome == ALREADY
                    and Document.objects.filter(pk=document.pk, emailed_at__gte=job.created_at).exists()
                )
                refused = int(outcome == REFUSED)
            made, emailed, unsent = made + 1, emailed + sent, unsent + refused
            with transaction.atomic():
                if not mine.update(done=made, emailed=emailed, unsent=unsent, claimed_at=timezone.now()):
                    return made - 1  # another worker took the chunk over and counts it
                DocumentJob.objects.filter(pk=job.pk).update(
                    done=F("done") + 1,
                    heartbeat_at=timezone.now(),
                    emailed=F("emailed") + sent,
                    unsent=F("unsent") + refused,
                )
    except Exception as error:
        logger.exception("Document job %s failed in chunk %s", job.pk, chunk.position)
        with transaction.atomic():
            mine.update(state=ChunkState.FAILED)
            DocumentJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
                state=JobState.FAILED, error=f"{type(error).__name__}: {error}", finished_at=timezone.now()
            )
        raise
    # Committed on its own before the job's last check, so that of two workers finishing the
    # last two chunks at once, the later always sees both done.
    if mine.update(state=ChunkState.DONE, claimed_at=timezone.now()):
        _finish_if_complete(job.pk)
    return made


def _finish_if_complete(job_id: int) -> None:
    unfinished = DocumentJobChunk.objects.filter(job=OuterRef("pk")).exclude(state=ChunkState.DONE)
    DocumentJob.objects.filter(pk=job_id, state=JobState.RUNNING).exclude(Exists(unfinished)).update(
        state=JobState.FINISHED, finished_at=timezone.now()
    )


def run_job(job_id: int) -> DocumentJob:
    """Make (and email) every document of the job that is not made yet, in this process. Safe
    to run again after a crash, or beside workers taking the same job's chunks: a chunk is made
    by one worker at a time, what exists is skipped, and an email is sent once."""
    job, orphaned_before, chunk_ids = start_job(job_id)
    for chunk_id in chunk_ids:
        run_chunk(chunk_id, orphaned_before=orphaned_before)
    job.refresh_from_db()
    return job


def _store_register_pdf(job: DocumentJob, society: Society) -> None:
    """The register of members as it stands, kept on the job for the board to download."""
    pdf = register_pdf(society)
    digest = hashlib.sha256(pdf).hexdigest()
    stored = DocumentJob.objects.get(pk=job.pk)
    old_file = stored.file.name
    name = f"register-{timezone.localdate():%Y-%m-%d}-{digest[:8]}.pdf"
    stored.file.save(name, ContentFile(pdf), save=False)
    DocumentJob.objects.filter(pk=job.pk).update(file=stored.file.name)
    if old_file and old_file != stored.file.name:
        stored.file.storage.delete(old_file)


# --- Email -----------------------------------------------------------------------------------------

EMAILS = {
    Kind.CERTIFICATE: ("certificate", "Your share certificate from {society}"),
    Kind.STATEMENT: ("statement", "Your statement of returns from {society}"),
    Kind.ANNUAL_SUMMARY: ("annual_summary", "Your yearly summary from {society}"),
    Kind.SURPLUS_STATEMENT: ("surplus_statement", "Your share of the surplus from {society}"),
}


SENT, REFUSED, ALREADY = "sent", "refused", "already"
# A send claimed this long ago by a worker that never finished it is taken over.
SEND_CLAIM_EXPIRES = datetime.timedelta(minutes=10)


def _email_once(document: Document, orphaned_before: datetime.datetime | None = None) -> str:
    """Email the holder their document unless it was emailed already.

    A worker claims the send before sending, so two workers never both send it; a claim left by
    a worker that died mid-send expires, so the email is not lost. A refusal by the mail server
    gives the claim back and is counted, and the job goes on to the next holder. A claim made
    before `orphaned_before` (the job was resumed then) is taken over at once.
    """
    now = timezone.now()
    free = Q(emailing_since__isnull=True) | Q(emailing_since__lt=now - SEND_CLAIM_EXPIRES)
    if orphaned_before is not None:
        free |= Q(emailing_since__lt=orphaned_before)
    claimed = (
        Document.objects.filter(pk=document.pk, emailed_at__isnull=True)
        .filter(free)
        .update(emailing_since=now)
    )
    if not claimed:
        return ALREADY
    try:
        _send(document)
    except MAIL_FAILURES:
        logger.exception("Could not email document %s to its holder", document.pk)
        Document.objects.filter(pk=document.pk).update(emailing_since=None)
        return REFUSED
    Document.objects.filter(pk=document.pk).update(emailed_at=timezone.now(), emailing_since=None)
    return SENT


def _send(document: Document) -> None:
    template, subject = EMAILS[document.kind]
    document = Document.objects.select_related(
        "society", "holder", "certificate__share_class", "run__share_class", "surplus_run"
    ).get(pk=document.pk)
    tax_year_dates = tax_year(document.tax_year) if document.tax_year is not None else (None, None)
    message = holder_message(
        holder=document.holder,
        template=template,
        subject=subject.format(society=document.society.name),
        document=document,
        society=document.society,
        tax_year_first=tax_year_dates[0],
        tax_year_last=tax_year_dates[1],
    )
    with document.file.open("rb") as pdf:
        message.attach(document.filename, pdf.read(), "application/pdf")
    message.send()
