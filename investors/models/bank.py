"""Lines of a society's bank statement, imported once each and matched to applications."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from djmoney.models.fields import MoneyField

from capital.models import MONEY, Society
from investors.models.applications import Application, Payment


class BankStatementImport(models.Model):
    """One statement file as uploaded: imported once (its SHA-256 is unique per society unless an
    earlier attempt failed), all its lines or none, in the request or by a background job."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        READING = "reading", "Reading the lines"
        RECORDING = "recording", "Recording the lines"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed: nothing was imported"

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="bank_statements")
    source_name = models.CharField(max_length=255, blank=True)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the file as uploaded.")
    content = models.TextField(blank=True, help_text="The file, kept for the job that imports it.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    lines_total = models.PositiveIntegerField(default=0)
    lines_read = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    error = models.TextField(blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        default=timezone.now, help_text="The last sign of life of the upload or worker importing it."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["society", "digest"],
                condition=~Q(state="failed"),
                name="bank_statement_imported_once",
            ),
        ]

    def __str__(self):
        return f"{self.source_name or 'Statement'} ({self.get_state_display().lower()})"

    @property
    def progress(self) -> str:
        if self.state in (self.State.DONE, self.State.FAILED):
            return self.summary or self.error
        if self.state == self.State.RECORDING:
            return f"Recording {self.lines_total:,} lines"
        return f"{self.lines_read:,} of {self.lines_total:,} lines read"


class BankStatementLine(models.Model):
    """One line of an imported statement. Every line is kept, matched or not, so nothing
    received is ever dropped: unmatched and partial lines wait on the treasurer's list."""

    class Status(models.TextChoices):
        MATCHED = "matched", "Matched and recorded"
        WRONG_AMOUNT = "wrong_amount", "Reference found, amount does not match"
        UNKNOWN = "unknown", "No application has this reference"
        NOT_RECEIPT = "not_receipt", "Money out, not a receipt"
        REFUSED = "refused", "Matched, but the payment was refused"
        SECOND_RECEIPT = "second_receipt", "The application was already paid: check before refunding"
        # What the treasurer decided for a line that did not match by itself.
        SHORT = "short", "Short of the application: the rest requested"
        TO_REFUND = "to_refund", "To be sent back"
        SENT_BACK = "sent_back", "Sent back"
        DISMISSED = "dismissed", "Dismissed"

    # Lines waiting for the treasurer's decision (the to-do home lists them).
    UNMATCHED = (Status.UNKNOWN, Status.WRONG_AMOUNT, Status.REFUSED, Status.SECOND_RECEIPT)

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="bank_lines")
    line_key = models.CharField(
        max_length=64, help_text="Hash of the line's content: the same line imports once."
    )
    date = models.DateField()
    amount = MoneyField(**MONEY)
    reference = models.CharField(max_length=255, blank=True)
    other_columns = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    note = models.TextField(blank=True)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_lines"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_line"
    )
    source_name = models.CharField(max_length=255, blank=True)
    statement = models.ForeignKey(
        BankStatementImport, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["society", "line_key"], name="bank_line_imported_once"),
        ]

    def __str__(self):
        return f"{self.date} {self.amount} {self.reference} ({self.get_status_display()})"
