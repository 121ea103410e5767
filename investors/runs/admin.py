"""Distribution runs in the board's admin: start a year (the preview), look at it, approve it
(directors only) and record it paid; download the bank's payment file. Each step is the same
service the `run_returns` command calls."""

import datetime

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.generic import FormView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.generic import IndexView

from capital import permissions
from capital.admin_actions import AdminPage, ObjectAction, ObjectLink
from capital.admin_scoping import RoleMenuItem, SocietyScopedViewSet
from capital.errors import Refusal
from capital.models import ShareClass
from capital.money import format_money
from investors.models import DistributionLine, DistributionRun
from investors.payouts.accounts import holders_without_details
from investors.payouts.admin import payout_actions
from investors.payouts.resolution import missing_accounts_sentence
from investors.runs.exports import payment_file_csv
from investors.runs.payouts import lines_without_payout_account, resolve_line_payout, return_line_to_file
from investors.runs.services import approve_run, mark_run_paid, start_run
from investors.runs.totals import declared_in_words, run_totals

State = DistributionRun.State


def run_summary(run: DistributionRun) -> list[str]:
    """The run's figures in sentences: what the board is asked to approve or pay."""
    totals = run_totals(run)
    sentences = [
        f"{run.share_class.name}, financial year {run.year} ({run.starts_on:%-d %B %Y} to "
        f"{run.ends_on:%-d %B %Y}), on {declared_in_words(run)}.",
        f"Pool {format_money(run.pool)}: {format_money(run.paid)} paid to {totals.paid_holdings} of "
        f"{totals.holdings} holdings, {format_money(run.retained)} retained by the society.",
        f"To the bank: {format_money(totals.to_bank)} (returns in money and capital repaid).",
    ]
    if totals.capped or totals.redeemed:
        sentences.append(
            f"{totals.capped} holdings reach their cap and are cancelled; {totals.redeemed} are "
            f"redeemed at the term's end ({format_money(run.redeemed)} repaid)."
        )
    if totals.reinvested_shares:
        sentences.append(f"{totals.reinvested_shares} new shares are issued for interest taken as shares.")
    missing = lines_without_payout_account(run)
    if missing:
        sentences.append(
            f"{missing_accounts_sentence(missing)} The payment file and recording the run as paid wait "
            "until each is resolved from the run's lines (paid another way, held, or the account given)."
        )
    return sentences


def _approve_preview(run: DistributionRun) -> list[str]:
    return [
        *run_summary(run),
        "Approving writes these changes to the register and emails each holder their statement.",
    ]


class MarkPaidForm(forms.Form):
    paid_on = forms.DateField(
        initial=timezone.localdate,
        label="Paid on",
        help_text="The day the money left the bank: it decides the tax year the interest is reported in.",
    )


def _approve(run, by, data) -> str:
    run = approve_run(run=run, by=by)
    return f"Year {run.year} of {run.share_class.name} is approved; statements are on their way."


def _mark_paid(run, by, data) -> str:
    run = mark_run_paid(run=run, by=by, paid_on=data["paid_on"])
    return f"Year {run.year} of {run.share_class.name} is recorded as paid on {run.paid_on:%-d %B %Y}."


RUN_ACTIONS = (
    ObjectAction(
        name="approve",
        label="Approve the run",
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
        label="Record the run as paid",
        permission="pay_runs",
        society_of=lambda run: run.society,
        applies=lambda run: run.may_become(State.PAID),
        preview=run_summary,
        perform=_mark_paid,
        form_class=MarkPaidForm,
        icon="tick",
    ),
)


class DistributionRunViewSet(SocietyScopedViewSet):
    model = DistributionRun
    society_lookup = "share_class__society__in"
    icon = "resubmit"
    menu_label = "Distribution runs"
    list_display = ["share_class", "year", "ends_on", "state", "pool", "paid", "retained", "redeemed"]
    list_filter = ["state"]
    inspect_view_enabled = True
    # The terms are kept as data for the record; the schedule in words is on every statement.
    inspect_view_fields_exclude = ["id", "terms"]
    form_fields = []
    object_actions = RUN_ACTIONS
    object_links = (
        ObjectLink(
            label="See each holder's line",
            url_name="run_lines",
            permission="start_runs",
            society_of=lambda run: run.society,
            icon="list-ul",
        ),
        ObjectLink(
            label="Download the payment file",
            url_name="run_payment_file",
            permission="pay_runs",
            society_of=lambda run: run.society,
            applies=lambda run: run.state in DistributionRun.DECIDED,
        ),
    )


# --- Each holder's line ------------------------------------------------------------------------------


def _runs_of(request):
    if request is None:
        return DistributionRun.objects.none()
    return DistributionRun.objects.filter(
        share_class__society__in=permissions.societies_for(request.user)
    ).select_related("share_class")


class LineFilterSet(WagtailFilterSet):
    """Lines of one run (only the user's societies' runs are offered), and those still needing
    the treasurer: owed money with no payout account, or held."""

    run = django_filters.ModelChoiceFilter(queryset=_runs_of, label="Run")
    no_payout_account = django_filters.BooleanFilter(
        method="filter_no_payout_account", label="Owed money, no payout account"
    )

    class Meta:
        model = DistributionLine
        fields = ["run", "status", "payout"]

    def filter_no_payout_account(self, queryset, name, value):
        if value is None:
            return queryset
        owed = queryset.filter(payout=DistributionLine.Payout.BANK_FILE).exclude(cash=0, redeemed=0)
        missing = holders_without_details(owed.values_list("holder_id", flat=True))
        return owed.filter(holder_id__in=missing) if value else queryset.exclude(holder_id__in=missing)


class LineIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("holder", "run__share_class__society")


def _owed_by_bank_file(line) -> bool:
    return line.bank_amount > 0 and line.payout == DistributionLine.Payout.BANK_FILE


LINE_ACTIONS = payout_actions(
    permission="pay_runs",
    society_of=lambda line: line.run.society,
    decided=lambda line: line.run.state == State.APPROVED and _owed_by_bank_file(line),
    owed=lambda line: (
        f"{line.holder.name} is owed {format_money(line.run.society.money(line.bank_amount))} by "
        f"{line.run.share_class.name}, year {line.run.year}."
    ),
    what="payment",
    resolve=lambda line, **change: resolve_line_payout(line=line, **change),
    back_to_file=lambda line, by: return_line_to_file(line=line, by=by),
)


class DistributionLineViewSet(SocietyScopedViewSet):
    """Who gets what: one row per holding in each run, preview or approved, searchable by the
    holder's name or email."""

    model = DistributionLine
    society_lookup = "run__share_class__society__in"
    icon = "list-ul"
    menu_label = "Run lines"
    index_view_class = LineIndexView
    list_display = [
        "holder",
        "run",
        "capital",
        "paid",
        "cash",
        "redeemed",
        "reinvested_shares",
        "status",
        "payout",
    ]
    filterset_class = LineFilterSet
    search_fields = ["holder__name", "holder__email"]
    inspect_view_enabled = True
    form_fields = []
    object_actions = LINE_ACTIONS


def run_lines(request, pk):
    """The run's lines: the lines' list, filtered to the run."""
    return redirect(f"{reverse('distributionline:index')}?run={int(pk)}")


class StartRunForm(forms.Form):
    share_class = forms.ModelChoiceField(queryset=ShareClass.objects.none(), label="Share class")
    year = forms.IntegerField(min_value=1, help_text="The financial year's number in the schedule, from 1.")
    surplus = forms.DecimalField(
        required=False, decimal_places=2, help_text="For a profit share: the year's declared surplus."
    )
    declared_rate_percent = forms.DecimalField(
        required=False,
        decimal_places=2,
        label="Declared rate (%)",
        help_text="For interest: the rate for the year (blank for the schedule's maximum).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["share_class"].queryset = ShareClass.objects.filter(
            society__in=permissions.societies_where(user, "start_runs"), return_schedule__isnull=False
        ).select_related("society")


class StartRunView(AdminPage, FormView):
    """Work out a year on the register as a draft; the board then reads it and approves."""

    template_name = "investors/admin/start_run.html"
    submit_label = "Work out the year"
    form_class = StartRunForm
    page_title = "Start a distribution run"
    permission = "start_runs"
    header_icon = "resubmit"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            run = start_run(
                share_class=data["share_class"],
                year=data["year"],
                surplus=data["surplus"],
                declared_rate_percent=data["declared_rate_percent"],
                by=self.request.user,
            )
        except Refusal as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, "The draft is ready: read it, then approve it.")
        return redirect("distributionrun:inspect", run.pk)


def payment_file(request, pk):
    """The bank's payment file for an approved run (treasurer or director of its society)."""
    run = (
        DistributionRun.objects.filter(
            pk=pk, share_class__society__in=permissions.societies_for(request.user)
        )
        .select_related("share_class__society")
        .first()
    )
    if run is None:
        raise Http404
    if not permissions.may(request.user, "pay_runs", run.society):
        raise PermissionDenied
    try:
        text = payment_file_csv(run)
    except Refusal as error:
        messages.error(request, str(error))
        return redirect("distributionrun:inspect", run.pk)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    filename = f"{run.society.slug}-run-{run.pk}-year-{run.year}-payments-{datetime.date.today():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


VIEWSETS = (DistributionRunViewSet, DistributionLineViewSet)
READ_ONLY_MODELS = (DistributionRun, DistributionLine)


def admin_urls():
    return [
        path("runs/start/", StartRunView.as_view(), name="start_run"),
        path("runs/<int:pk>/payment-file/", payment_file, name="run_payment_file"),
        path("runs/<int:pk>/lines/", run_lines, name="run_lines"),
    ]


def menu_item():
    return RoleMenuItem(
        "Start a distribution run",
        reverse("start_run"),
        icon_name="resubmit",
        order=235,
        action="start_runs",
    )
