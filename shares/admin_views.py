"""The register as the board sees it in the admin: check it, and download it (register of
members as CSV or PDF, the ledger with its hashes as CSV). Read-only; every row is written by
the register's services."""

import io
from collections.abc import Callable

from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.views.generic import TemplateView

from capital import permissions, spreadsheets
from capital.admin_actions import AdminPage
from capital.models import Society
from shares.documents import register_pdf
from shares.models import LedgerEntry
from shares.services.exports import write_ledger_csv, write_register_csv
from shares.services.verification import verify_register


def _societies(user):
    return [
        society
        for society in permissions.societies_for(user).order_by("name")
        if permissions.may(user, "view_register", society)
    ]


def _society(request, slug) -> Society:
    for society in _societies(request.user):
        if society.slug == slug:
            return society
    raise Http404


class RegisterView(AdminPage, TemplateView):
    """Each of the user's societies with its register's head; POST checks one register."""

    template_name = "shares/admin/register.html"
    page_title = "Register of members"
    header_icon = "list-ol"

    def get_context_data(self, checked=None, **kwargs):
        rows = []
        for society in _societies(self.request.user):
            last = LedgerEntry.objects.filter(society=society).order_by("-sequence").first()
            rows.append(
                {
                    "society": society,
                    "entries": last.sequence if last else 0,
                    "head": f"{last.sequence}:{last.entry_hash}" if last else "",
                    "check": checked if checked and checked.society.pk == society.pk else None,
                }
            )
        return super().get_context_data(rows=rows, **kwargs)

    def post(self, request, *args, **kwargs):
        society = _society(request, request.POST.get("society", ""))
        check = verify_register(society)
        return self.render_to_response(self.get_context_data(checked=check))


def _download(content, content_type: str, society: Society, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    stem, extension = name.rsplit(".", 1)  # the date goes before the extension: it still opens
    filename = f"{society.slug}-{stem}-{timezone.localdate():%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def register_csv_download(request, slug):
    society = _society(request, slug)
    out = io.StringIO()
    write_register_csv(society, out)
    return _download(
        spreadsheets.for_spreadsheets(out.getvalue()), spreadsheets.CSV_CONTENT_TYPE, society, "register.csv"
    )


# How "Register (PDF)" is made when an app above registers a maker (investors' document job: a
# large society's register takes minutes to render, so never in the request); else right here.
_register_pdf_makers: list[Callable[[object, Society], HttpResponse]] = []


def register_pdf_maker(maker: Callable[[object, Society], HttpResponse]) -> None:
    """`maker(request, society)` answers the board's POST to "Register (PDF)"."""
    if maker not in _register_pdf_makers:
        _register_pdf_makers.append(maker)


def register_pdf_download(request, slug):
    society = _society(request, slug)
    if _register_pdf_makers:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return _register_pdf_makers[-1](request, society)
    return _download(register_pdf(society), "application/pdf", society, "register.pdf")


def ledger_csv_download(request, slug):
    society = _society(request, slug)
    out = io.StringIO()
    write_ledger_csv(society, out)
    return _download(
        spreadsheets.for_spreadsheets(out.getvalue()), spreadsheets.CSV_CONTENT_TYPE, society, "ledger.csv"
    )
