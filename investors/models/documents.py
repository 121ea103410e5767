"""Documents kept for investors (certificates, statements, yearly summaries) and the background
jobs that make them in bulk.

A document is rendered once and stored; it is made again only when the board asks. A job
names what it covers (an offer's certificates, a run's statements, a tax year's summaries)
rather than keeping a list, so its progress is always counted from the documents that exist:
a job that stopped half-way shows the truth after a reload, and running it again only makes
what is missing.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from capital.models import Offer, Society
from investors.models.runs import DistributionRun
from investors.models.surplus import SurplusRun
from shares.models import Certificate, Holder


def document_path(document: "Document", filename: str) -> str:
    return f"documents/{document.society.slug}/{document.kind}/{filename}"


def job_file_path(job: "DocumentJob", filename: str) -> str:
    return f"documents/{job.society.slug}/{job.kind}/{filename}"


class Document(models.Model):
    """One stored PDF for one holder. `digest` is the SHA-256 of the file, to spot a changed file;
    `emailed_at` is set once the holder has been sent it, so a repeated job never emails twice;
    `emailing_since` marks a send in progress, which a worker that crashed may leave behind."""

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", "Share certificate"
        STATEMENT = "statement", "Statement of returns"
        ANNUAL_SUMMARY = "annual_summary", "Yearly summary"
        SURPLUS_STATEMENT = "surplus_statement", "Statement of the surplus dividend"

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="documents")
    certificate = models.OneToOneField(
        Certificate, null=True, blank=True, on_delete=models.PROTECT, related_name="document"
    )
    run = models.ForeignKey(
        DistributionRun, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    surplus_run = models.ForeignKey(
        SurplusRun, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    tax_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For a yearly summary: the tax year starting 6 April of this year."
    )
    file = models.FileField(upload_to=document_path)
    digest = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    generated_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    emailing_since = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending it: others leave it alone for a while."
    )

    class Meta:
        ordering = ["society_id", "kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="certificate",
                        certificate__isnull=False,
                        run__isnull=True,
                        surplus_run__isnull=True,
                        tax_year__isnull=True,
                    )
                    | Q(
                        kind="statement",
                        certificate__isnull=True,
                        run__isnull=False,
                        surplus_run__isnull=True,
                        tax_year__isnull=True,
                    )
                    | Q(
                        kind="annual_summary",
                        certificate__isnull=True,
                        run__isnull=True,
                        surplus_run__isnull=True,
                        tax_year__isnull=False,
                    )
                    | Q(
                        kind="surplus_statement",
                        certificate__isnull=True,
                        run__isnull=True,
                        surplus_run__isnull=False,
                        tax_year__isnull=True,
                    )
                ),
                name="document_names_what_it_is_for",
            ),
            models.UniqueConstraint(
                fields=["run", "holder"], condition=Q(kind="statement"), name="one_statement_per_holder_run"
            ),
            models.UniqueConstraint(
                fields=["society", "holder", "tax_year"],
                condition=Q(kind="annual_summary"),
                name="one_summary_per_holder_tax_year",
            ),
            models.UniqueConstraint(
                fields=["surplus_run", "holder"],
                condition=Q(kind="surplus_statement"),
                name="one_surplus_statement_per_holder_run",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.holder}"

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]


class DocumentJob(models.Model):
    """Making one batch of documents in the background, and optionally emailing each to its
    holder. At most one job per batch is queued or running at a time (a second request joins it)."""

    class Kind(models.TextChoices):
        OFFER_CERTIFICATES = "offer_certificates", "Certificates for an offer's allocation"
        SOCIETY_CERTIFICATES = "society_certificates", "Every valid certificate"
        RUN_STATEMENTS = "run_statements", "Statements for a distribution run"
        ANNUAL_SUMMARIES = "annual_summaries", "Yearly summaries for a tax year"
        SURPLUS_STATEMENTS = "surplus_statements", "Statements for a surplus run"
        REGISTER_PDF = "register_pdf", "The register of members (PDF)"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    UNFINISHED = (State.QUEUED, State.RUNNING)

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="document_jobs")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(
        DistributionRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    surplus_run = models.ForeignKey(
        SurplusRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tax_year = models.PositiveSmallIntegerField(null=True, blank=True)
    batch = models.CharField(max_length=40, editable=False, help_text="What the job covers, as one key.")
    regenerate = models.BooleanField(
        default=False, help_text="Make the documents again even where they exist (after a correction)."
    )
    send_emails = models.BooleanField(default=False, help_text="Email each holder their document.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    emailed = models.PositiveIntegerField(default=0)
    unsent = models.PositiveIntegerField(
        default=0, help_text="Emails the mail server refused; retried on resume."
    )
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="The last document the job made.")
    file = models.FileField(
        upload_to=job_file_path, blank=True, help_text="The one file a job made (the register PDF)."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="offer_certificates",
                        offer__isnull=False,
                        run__isnull=True,
                        surplus_run__isnull=True,
                        tax_year__isnull=True,
                    )
                    | Q(
                        kind="society_certificates",
                        offer__isnull=True,
                        run__isnull=True,
                        surplus_run__isnull=True,
                        tax_year__isnull=True,
                    )
                    | Q(
                        kind="run_statements",
                        offer__isnull=True,
                        run__isnull=False,
                        surplus_run__isnull=True,
                        tax_year__isnull=True,
                    )
                    | Q(
                        kind="annual_summaries",
                        offer__isnull=True,
                        run__isnull=True,
                        surplus_run__isnull=True,
                        tax_year__isnull=False,
                    )
                    | Q(
                        kind="surplus_statements",
                        offer__isnull=True,
                        run__isnull=True,
                        surplus_run__isnull=False,
                        tax_year__isnull=True,
                    )
                    | Q(
                        kind="register_pdf",
                        offer__isnull=True,
                        run__isnull=True,
                        surplus_run__isnull=True,
                        tax_year__isnull=True,
                    )
                ),
                name="document_job_names_its_batch",
            ),
            models.UniqueConstraint(
                fields=["society", "batch"],
                condition=Q(state__in=["queued", "running"]),
                name="one_unfinished_job_per_batch",
                violation_error_message="This batch is already being made.",
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="document_job_done_within_total"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_state_display().lower()}, {self.done}/{self.total})"

    def save(self, *args, **kwargs):
        self.batch = self.batch_key()
        super().save(*args, **kwargs)

    def batch_key(self) -> str:
        target = self.offer_id or self.run_id or self.surplus_run_id or self.tax_year or ""
        return f"{self.kind}:{target}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total


class DocumentJobChunk(models.Model):
    """A slice of a job's documents, taken by one worker at a time; any number of workers take
    a job's chunks at once. `keys` are the rows (certificates or holders) it makes documents for.

    A worker claims a chunk by raising `attempt` in a conditional UPDATE and reports progress
    only while its attempt is the chunk's, so a chunk taken over from a lost worker is counted
    once: what the chunk counted (`done`, `emailed`, `unsent`) comes off the job's figures when it
    is taken over, and is counted again. `claimed_at` is the claiming worker's last sign of life."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(DocumentJob, on_delete=models.CASCADE, related_name="chunks")
    position = models.PositiveIntegerField()
    keys = models.JSONField(help_text="The primary keys of the rows the chunk makes documents for.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    attempt = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    emailed = models.PositiveIntegerField(default=0)
    unsent = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="one_chunk_per_job_position"),
        ]

    def __str__(self):
        return f"Chunk {self.position} of job {self.job_id} ({self.state})"
