"""The FairShares surplus in the board's admin: import the year's contributions, start a surplus
run (the preview), read it, approve it (directors only) and record it paid; download the bank's
payment file. Each step is the same service the commands call."""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.generic import FormView

from capital import permissions
from capital.admin_actions import AdminPage, ObjectAction, ObjectLink
from capital.admin_scoping import RoleMenuItem, SocietyScopedViewSet
from capital.errors import Refusal
from capital.models import Society
from capital.money import format_money
from investors.models import ContributionImport, SurplusLine, SurplusRun
from investors.models.surplus import Part
from investors.payouts.admin import payout_actions
from investors.payouts.resolution import missing_accounts_sentence
from investors.surplus.contributions import import_contributions
from investors.surplus.exports import payment_total, surplus_payment_file_csv
from investors.surplus.payouts import (
    resolve_dividend_payout,
    return_dividend_to_file,
    rows_without_payout_account,
)
from investors.surplus.services import approve_surplus_run, mark_surplus_run_paid, start_surplus_run

State = SurplusRun.State
MAX_CONTRIBUTIONS_BYTES = 5 * 1024 * 1024


def surplus_run_summary(run: SurplusRun) -> list[str]:
    """The run's figures in sentences: what the board is asked to approve or pay."""
    counts = run.lines.aggregate(
        labour=Count("pk", filter=Q(part=Part.LABOUR, paid__gt=0)),
        user=Count("pk", filter=Q(part=Part.USER, paid__gt=0)),
        member_shares=Sum("member_shares"),
    )
    sentences = [
        f"The year {run.starts_on:%-d %B %Y} to {run.ends_on:%-d %B %Y}, on a declared surplus of "
        f"{format_money(run.surplus)}.",
        f"Reserves {format_money(run.reserves)}; Labour {format_money(run.labour)} to {counts['labour']} "
        f"members; User {format_money(run.user)} to {counts['user']} members; Investor "
        f"{format_money(run.investor)} through {run.investor_runs.count()} investor class runs.",
        f"To the bank: {payment_total(run)} (dividends in money, investors' returns and capital repaid).",
    ]
    if counts["member_shares"]:
        sentences.append(f"{counts['member_shares']:,} member shares are issued with the approval.")
    sentences.extend(run.notes)
    missing = rows_without_payout_account(run)
    if missing:
        sentences.append(
            f"{missing_accounts_sentence(missing)} The payment file and recording the split as paid wait "
            "until each is resolved (paid another way, held, or the account given)."
        )
    return sentences


def _approve_preview(run: SurplusRun) -> list[str]:
    return [
        *surplus_run_summary(run),
        "Approving writes every change to the register (member shares, and the investor runs' own "
        "changes), records the split in the decision record and emails each member their statement.",
    ]


class MarkPaidForm(forms.Form):
    paid_on = forms.DateField(initial=timezone.localdate, label="Paid on", help_text="The day the bank paid.")


def _approve(run, by, data) -> str:
    run = approve_surplus_run(run=run, by=by)
    return f"The surplus of the year ending {run.ends_on:%-d %B %Y} is approved; statements are on their way."


def _mark_paid(run, by, data) -> str:
    run = mark_surplus_run_paid(run=run, by=by, paid_on=data["paid_on"])
    return f"The surplus of the year ending {run.ends_on:%-d %B %Y} is recorded as paid."


SURPLUS_RUN_ACTIONS = (
    ObjectAction(
        name="approve",
        label="Approve the split",
        permission="approve_runs",
        society_of=lambda run: run.society,
        applies=lambda run: run.may_become(State.APPROVED),
        preview=_approve_preview,
        perform=_approve,
        warning="Only a director may approve. Approval cannot be undone.",
        icon="success",
    ),
    ObjectAction(
        name="mark-paid",
        label="Record the split as paid",
        permission="pay_runs",
        society_of=lambda run: run.society,
        applies=lambda run: run.may_become(State.PAID),
        preview=surplus_run_summary,
        perform=_mark_paid,
        form_class=MarkPaidForm,
        icon="tick",
    ),
)


class SurplusRunViewSet(SocietyScopedViewSet):
    model = SurplusRun
    icon = "table"
    menu_label = "Surplus runs"
    list_display = ["society", "ends_on", "state", "surplus", "reserves", "labour", "user", "investor"]
    list_filter = ["state"]
    inspect_view_enabled = True
    inspect_view_fields_exclude = ["id", "rules", "investor_run_ids"]
    form_fields = []
    object_actions = SURPLUS_RUN_ACTIONS
    object_links = (
        ObjectLink(
            label="Download the payment file",
            url_name="surplus_payment_file",
            permission="pay_runs",
            society_of=lambda run: run.society,
            applies=lambda run: run.state in SurplusRun.DECIDED,
        ),
    )


DIVIDEND_ACTIONS = payout_actions(
    permission="pay_runs",
    society_of=lambda line: line.run.society,
    decided=lambda line: line.run.state == State.APPROVED and line.cash > 0,
    owed=lambda line: (
        f"{line.holder.name} is owed a {line.get_part_display()} dividend of "
        f"{format_money(line.run.society.money(line.cash))} "
        f"for the year ending {line.run.ends_on:%-d %B %Y}."
    ),
    what="dividend",
    resolve=lambda line, **change: resolve_dividend_payout(line=line, **change),
    back_to_file=lambda line, by: return_dividend_to_file(line=line, by=by),
)


class SurplusLineViewSet(SocietyScopedViewSet):
    model = SurplusLine
    society_lookup = "run__society__in"
    icon = "list-ul"
    menu_label = "Surplus dividends"
    list_display = ["run", "part", "holder", "weight", "paid", "cash", "member_shares", "payout"]
    list_filter = ["part", "payout"]
    search_fields = ["holder__name", "holder__email"]
    inspect_view_enabled = True
    form_fields = []
    object_actions = DIVIDEND_ACTIONS


class ContributionImportViewSet(SocietyScopedViewSet):
    model = ContributionImport
    icon = "upload"
    menu_label = "Contributions"
    list_display = ["society", "year_end", "part", "rows", "total", "current", "filename", "imported_at"]
    list_filter = ["part", "current"]
    inspect_view_enabled = True
    form_fields = []


class StartSurplusRunForm(forms.Form):
    society = forms.ModelChoiceField(queryset=Society.objects.none())
    year_end = forms.DateField(
        label="Financial year ending", help_text="The year's last day, e.g. 2026-03-31."
    )
    surplus = forms.DecimalField(decimal_places=2, help_text="The year's surplus (a loss is negative).")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["society"].queryset = permissions.societies_where(user, "start_runs").filter(
            surplus_rules__isnull=False
        )


class StartSurplusRunView(AdminPage, FormView):
    """Work out the year's split as a draft; the board then reads it and approves."""

    template_name = "investors/admin/start_surplus_run.html"
    submit_label = "Split the surplus"
    form_class = StartSurplusRunForm
    page_title = "Split a year's surplus"
    permission = "start_runs"
    header_icon = "table"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            run = start_surplus_run(
                society=data["society"],
                year_end=data["year_end"],
                surplus=data["surplus"],
                by=self.request.user,
            )
        except Refusal as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, "The draft is ready: read it, then approve it.")
        return redirect("surplusrun:inspect", run.pk)


class ContributionsForm(forms.Form):
    society = forms.ModelChoiceField(queryset=Society.objects.none())
    part = forms.ChoiceField(choices=Part.choices)
    year_end = forms.DateField(
        label="Financial year ending", help_text="The year's last day, e.g. 2026-03-31."
    )
    contributions = forms.FileField(
        help_text="CSV with a header row naming email and the contribution (hours, pay, trade or amount)."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["society"].queryset = permissions.societies_where(user, "record_contributions")

    def clean_contributions(self):
        upload = self.cleaned_data["contributions"]
        if upload.size > MAX_CONTRIBUTIONS_BYTES:
            raise forms.ValidationError("That file is too large (5 MB at most).")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not text (CSV, UTF-8).") from None


class ImportContributionsView(AdminPage, FormView):
    template_name = "investors/admin/import_contributions.html"
    submit_label = "Import"
    form_class = ContributionsForm
    page_title = "Import the year's contributions"
    permission = "record_contributions"
    header_icon = "upload"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            batch = import_contributions(
                society=data["society"],
                part=data["part"],
                year_end=data["year_end"],
                text=data["contributions"],
                filename=self.request.FILES["contributions"].name,
                by=self.request.user,
            )
        except Refusal as error:
            form.add_error("contributions", str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{batch.get_part_display()} contributions for the year ending {batch.year_end:%-d %B %Y}: "
            f"{batch.contributions.count()} members recorded.",
        )
        return redirect("contributionimport:index")


def payment_file(request, pk):
    """The bank's payment file for an approved surplus run (treasurer or director)."""
    run = (
        SurplusRun.objects.filter(pk=pk, society__in=permissions.societies_for(request.user))
        .select_related("society")
        .first()
    )
    if run is None:
        raise Http404
    if not permissions.may(request.user, "pay_runs", run.society):
        raise PermissionDenied
    try:
        text = surplus_payment_file_csv(run)
    except Refusal as error:
        messages.error(request, str(error))
        return redirect("surplusrun:inspect", run.pk)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    filename = f"{run.society.slug}-surplus-{run.ends_on:%Y}-payments-{datetime.date.today():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


VIEWSETS = (SurplusRunViewSet, SurplusLineViewSet, ContributionImportViewSet)
READ_ONLY_MODELS = (SurplusRun, SurplusLine, ContributionImport)


def admin_urls():
    return [
        path("surplus/start/", StartSurplusRunView.as_view(), name="start_surplus_run"),
        path("surplus/contributions/", ImportContributionsView.as_view(), name="import_contributions"),
        path("surplus/<int:pk>/payment-file/", payment_file, name="surplus_payment_file"),
    ]


def start_menu_item():
    return RoleMenuItem(
        "Split a year's surplus",
        reverse("start_surplus_run"),
        icon_name="table",
        order=236,
        action="start_runs",
    )


def contributions_menu_item():
    return RoleMenuItem(
        "Import contributions",
        reverse("import_contributions"),
        icon_name="upload",
        order=237,
        action="record_contributions",
    )


MENU_ITEMS = (start_menu_item, contributions_menu_item)
