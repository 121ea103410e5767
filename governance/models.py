"""Members decide: the society's rules for meetings, its general meetings, the questions put to
them (resolutions and elections), the roll each meeting votes on, ballots with receipts, and
the public decision record.

One member, one vote: a ballot belongs to a roll entry (a database foreign key, never null),
and a meeting's roll is the register's members as at its record date (`voting_roll`), so an
investor-only holder is never on it and can never hold a ballot.
"""

import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from capital.lifecycle import Lifecycle
from capital.models import Society
from governance.errors import GovernanceError
from shares.chain import ChainedEntry
from shares.models import Holder


class GovernanceRules(models.Model):
    """What the society's rules say about general meetings and voting. Defaults follow common
    model rules; the directors and secretary change them in the admin to match their own."""

    class QuorumRule(models.TextChoices):
        GREATER = "greater", "Whichever is greater"
        LESSER = "lesser", "Whichever is less"

    class Ties(models.TextChoices):
        LOT = "lot", "Drawn by lot (recorded)"

    society = models.OneToOneField(Society, on_delete=models.CASCADE, related_name="governance_rules")
    notice_clear_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="Clear days' notice of a general meeting (the day sent and the day held not counted).",
    )
    quorum_members = models.PositiveIntegerField(
        default=3, help_text="Members present (or voting) for a quorum."
    )
    quorum_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percentage of the roll present (or voting) for a quorum.",
    )
    quorum_rule = models.CharField(max_length=8, choices=QuorumRule.choices, default=QuorumRule.GREATER)
    special_threshold_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("75.00"),
        validators=[MinValueValidator(50), MaxValueValidator(100)],
        help_text="Share of the votes cast a special resolution needs (at least).",
    )
    abstentions_are_cast = models.BooleanField(
        default=False, help_text="Count abstentions as votes cast (model rules: they are not)."
    )
    advance_online_voting = models.BooleanField(
        default=True, help_text="Members may vote online before the meeting."
    )
    proxies_allowed = models.BooleanField(default=False)
    max_proxies_per_member = models.PositiveSmallIntegerField(default=2)
    seconders_needed = models.PositiveSmallIntegerField(
        default=2, help_text="Members who must second a member's proposal before the board considers it."
    )
    requisition_signatures = models.PositiveIntegerField(
        default=10, help_text="Members who must sign to requisition a special general meeting."
    )
    recorded_votes = models.BooleanField(
        default=False,
        help_text="Votes are recorded openly: results publish voters' names instead of receipts.",
    )
    ties = models.CharField(max_length=8, choices=Ties.choices, default=Ties.LOT)

    class Meta:
        verbose_name_plural = "governance rules"
        constraints = [
            models.CheckConstraint(
                condition=Q(special_threshold_percent__gte=50) & Q(special_threshold_percent__lte=100),
                name="special_threshold_between_half_and_all",
            ),
            models.CheckConstraint(
                condition=Q(quorum_percent__gte=0) & Q(quorum_percent__lte=100), name="quorum_percent_range"
            ),
        ]

    def __str__(self):
        return f"Rules of {self.society}"

    @classmethod
    def of(cls, society: Society) -> "GovernanceRules":
        rules, _ = cls.objects.get_or_create(society=society)
        return rules


class Meeting(Lifecycle, models.Model):
    """A general meeting: annual or special, when and where, its record date and agenda."""

    class Kind(models.TextChoices):
        ANNUAL = "annual", "Annual general meeting"
        SPECIAL = "special", "Special general meeting"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        CALLED = "called", "Called (notice sent)"
        HELD = "held", "Held"
        CLOSED = "closed", "Closed (minutes signed)"

    TRANSITIONS = {
        State.DRAFT: {State.CALLED},
        State.CALLED: {State.HELD},
        State.HELD: {State.CLOSED},
        State.CLOSED: set(),
    }
    lifecycle_error = GovernanceError

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.ANNUAL)
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    location = models.CharField(max_length=300, blank=True)
    online_link = models.URLField(blank=True)
    record_date = models.DateField(help_text="Members on the register at the end of this day may vote.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.DRAFT, editable=False)
    notice_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    notices_total = models.PositiveIntegerField(default=0, editable=False)
    notices_sent = models.PositiveIntegerField(
        default=0, editable=False, help_text="The notice job's progress."
    )
    requisition = models.ForeignKey(
        "Requisition", null=True, blank=True, on_delete=models.PROTECT, related_name="meetings"
    )
    minutes = models.TextField(blank=True)
    minutes_pdf = models.FileField(upload_to="governance/minutes/", blank=True, editable=False)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    signed_off_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(location__gt="") | Q(online_link__gt=""), name="meeting_has_a_place_or_link"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.starts_at:%d %B %Y})"

    def about(self) -> str:
        return f"The meeting {self.title!r}"


class MeetingPaper(models.Model):
    """A paper sent with the notice: the accounts, the last meeting's minutes."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="papers")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="governance/papers/")

    def __str__(self):
        return self.title


class RollEntry(models.Model):
    """One member on a meeting's roll: the register's members as at the record date, taken once."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="roll")
    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="roll_entries")
    present = models.BooleanField(default=False, help_text="Recorded by the secretary at the meeting.")
    proxy = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proxy_for",
        help_text="The member appointed to vote for this one.",
    )

    class Meta:
        ordering = ["meeting", "holder__name", "pk"]
        verbose_name_plural = "roll entries"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "holder"], name="one_roll_entry_per_member"),
            models.CheckConstraint(condition=~Q(proxy=models.F("pk")), name="no_member_is_own_proxy"),
        ]

    def __str__(self):
        return f"{self.holder} on the roll of {self.meeting}"


class Question(models.Model):
    """A question put to a meeting's members: a resolution or an election of directors."""

    class Kind(models.TextChoices):
        ORDINARY = "ordinary", "Ordinary resolution"
        SPECIAL = "special", "Special resolution"
        S111 = "s111", "Statutory special resolution (s.111), first meeting"
        S111_CONFIRMATION = "s111_confirm", "Statutory special resolution (s.111), confirmation"
        ELECTION = "election", "Election of directors"

    class State(models.TextChoices):
        OPEN = "open", "Open for votes"
        CLOSED = "closed", "Closed and counted"

    RESOLUTIONS = (Kind.ORDINARY, Kind.SPECIAL, Kind.S111, Kind.S111_CONFIRMATION)

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="questions")
    number = models.PositiveSmallIntegerField(help_text="Its place on the agenda.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="The resolution in full, or what the election is for.")
    seats = models.PositiveSmallIntegerField(default=1, help_text="For an election: seats to fill.")
    proposal = models.OneToOneField(
        "Proposal", null=True, blank=True, on_delete=models.PROTECT, related_name="question"
    )
    confirms = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="confirmation",
        help_text="For an s.111 confirmation: the resolution passed at the first meeting.",
    )
    voting_closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Online votes until (blank: the meeting)."
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN, editable=False)
    result = models.JSONField(default=dict, blank=True, editable=False)
    passed = models.BooleanField(null=True, editable=False)

    class Meta:
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="one_question_per_agenda_number"),
            models.CheckConstraint(
                condition=Q(kind="s111_confirm", confirms__isnull=False)
                | (~Q(kind="s111_confirm") & Q(confirms__isnull=True)),
                name="only_s111_confirmations_confirm",
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="question_seats_at_least_one"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"

    @property
    def is_election(self) -> bool:
        return self.kind == self.Kind.ELECTION


class Candidate(models.Model):
    """A member standing for election. Only a member on the roll may stand (a foreign key)."""

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="candidates")
    member = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="candidacies")
    statement = models.TextField(blank=True)

    class Meta:
        ordering = ["question", "member__holder__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["question", "member"], name="one_candidacy_per_member")
        ]

    def __str__(self):
        return self.member.holder.name


def new_receipt_code() -> str:
    return secrets.token_hex(8).upper()


def receipt_hash(question_id: int, code: str) -> str:
    """What the published result lists for a ballot: anyone holding the code can find theirs."""
    return hashlib.sha256(f"{question_id}:{code}".encode()).hexdigest()


class Ballot(models.Model):
    """A member's one vote on one question: for, against or abstain (a resolution), or up to
    the seats' number of candidates (an election). Changed until the ballot closes; only the
    last choice counts. Never without a roll entry (a foreign key, never null)."""

    class Choice(models.TextChoices):
        FOR = "for", "For"
        AGAINST = "against", "Against"
        ABSTAIN = "abstain", "Abstain"
        CANDIDATES = "candidates", "Candidates"

    class Method(models.TextChoices):
        ONLINE = "online", "Online"
        IN_ROOM = "in_room", "In the room"
        PROXY = "proxy", "By proxy"

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="ballots")
    voter = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="ballots")
    choice = models.CharField(max_length=12, choices=Choice.choices)
    candidates = models.JSONField(default=list, blank=True, help_text="Candidate ids, for an election.")
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.ONLINE)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    receipt_code = models.CharField(max_length=32, default=new_receipt_code)
    receipt_hash = models.CharField(max_length=64, unique=True)
    changes = models.PositiveIntegerField(default=0)
    cast_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["question", "receipt_hash"]
        constraints = [
            models.UniqueConstraint(fields=["question", "voter"], name="one_ballot_per_member_per_question"),
        ]

    def __str__(self):
        return f"Ballot {self.receipt_hash[:12]}…"

    def save(self, *args, **kwargs):
        self.receipt_hash = receipt_hash(self.question_id, self.receipt_code)
        super().save(*args, **kwargs)

    @property
    def counted_choice(self):
        return sorted(self.candidates) if self.choice == self.Choice.CANDIDATES else self.choice


class Proposal(Lifecycle, models.Model):
    """A member's proposed resolution. Once the rules' number of members have seconded it, the
    board puts it on the next meeting's agenda or publishes its reasons for not doing so."""

    class State(models.TextChoices):
        SECONDING = "seconding", "Waiting for seconders"
        SECONDED = "seconded", "Seconded: for the board"
        ON_AGENDA = "on_agenda", "On a meeting's agenda"
        DECLINED = "declined", "Declined by the board, with reasons"

    TRANSITIONS = {
        State.SECONDING: {State.SECONDED},
        State.SECONDED: {State.ON_AGENDA, State.DECLINED},
        State.ON_AGENDA: set(),
        State.DECLINED: set(),
    }
    lifecycle_error = GovernanceError

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="proposals")
    proposer = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="proposals")
    kind = models.CharField(
        max_length=16,
        choices=[
            (Question.Kind.ORDINARY, "Ordinary resolution"),
            (Question.Kind.SPECIAL, "Special resolution"),
        ],
        default=Question.Kind.ORDINARY,
    )
    title = models.CharField(max_length=200)
    text = models.TextField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.SECONDING, editable=False)
    board_reasons = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def about(self) -> str:
        return f"The proposal {self.title!r}"


class Seconder(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="seconders")
    member = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="seconded")
    seconded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "member"], name="one_second_per_member")]

    def __str__(self):
        return f"{self.member} seconds {self.proposal}"


class Requisition(Lifecycle, models.Model):
    """Members asking for a special general meeting; once enough have signed, the board must call it."""

    class State(models.TextChoices):
        SIGNING = "signing", "Collecting signatures"
        MET = "met", "Enough members signed: the board must call the meeting"
        CALLED = "called", "Meeting called"

    TRANSITIONS = {State.SIGNING: {State.MET}, State.MET: {State.CALLED}, State.CALLED: set()}
    lifecycle_error = GovernanceError

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="requisitions")
    purpose = models.TextField(help_text="What the meeting is to decide.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.SIGNING, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.purpose[:60]

    def about(self) -> str:
        return "The requisition"


class Signature(models.Model):
    requisition = models.ForeignKey(Requisition, on_delete=models.PROTECT, related_name="signatures")
    member = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="requisitions_signed")
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["requisition", "member"], name="one_signature_per_member")
        ]

    def __str__(self):
        return f"{self.member} signs {self.requisition}"


class DecisionEntry(ChainedEntry):
    """One decision of the society, for ever: the members' (resolutions and elections, with
    their full results) and the board's (announced through `capital.decisions`).

    Numbered without gaps per society and hash-chained with the register's mechanism
    (`shares.chain`); never changed or deleted (refused here and by a PostgreSQL trigger).
    """

    append_only_what = "The decision record is append-only: its entries"
    append_only_error = GovernanceError

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=40)
    summary = models.TextField()
    decided_on = models.DateField()
    decided_by = models.CharField(max_length=200, blank=True, help_text="The board member, or 'the members'.")
    data = models.JSONField(default=dict, blank=True)
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.PROTECT, related_name="decision_entries"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["society", "sequence"]
        verbose_name_plural = "decision entries"
        constraints = [
            models.UniqueConstraint(fields=["society", "sequence"], name="decision_sequence_unique"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="decision_sequence_from_one"),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.summary[:60]}"

    def chain_content(self) -> dict:
        """What the hash covers (with the previous hash). Changing this breaks every existing chain."""
        return {
            "society": self.society_id,
            "sequence": self.sequence,
            "kind": self.kind,
            "summary": self.summary,
            "decided_on": self.decided_on.isoformat(),
            "decided_by": self.decided_by,
            "question": self.question_id,
            "data": self.data,
            "recorded_at": self.recorded_at.isoformat(timespec="microseconds"),
        }
