"""The nominations book in the board's admin: every nomination recorded (read-only, as members
make them), and the book as a PDF from the society's page."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils import timezone
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView

from capital import permissions
from capital.admin_actions import ObjectLink, register_object_links
from capital.admin_scoping import SocietyScopedViewSet
from capital.models import Society
from investors.models import Nomination
from investors.nominations.book import nominations_book_pdf


class NominationsBookIndexView(IndexView):
    page_title = "Nominations book"

    def get_base_queryset(self):
        return super().get_base_queryset().prefetch_related("nominees")


def nominees_named(nomination: Nomination) -> str:
    return "; ".join(str(nominee) for nominee in nomination.nominees.all())


class NominationViewSet(SocietyScopedViewSet):
    model = Nomination
    icon = "doc-full"
    menu_label = "Nominations book"
    index_view_class = NominationsBookIndexView
    list_display = [
        "holder",
        Column("nominees", label="Nominees (share of what passes)", accessor=nominees_named),
        "society",
        "state",
        "made_at",
        "ended_at",
    ]
    list_filter = ["state"]
    inspect_view_enabled = True
    form_fields = []


def book_pdf(request, pk):
    society = Society.objects.filter(pk=pk, pk__in=permissions.societies_for(request.user)).first()
    if society is None:
        raise Http404
    if not permissions.may(request.user, "view_nominations", society):
        raise PermissionDenied
    response = HttpResponse(nominations_book_pdf(society), content_type="application/pdf")
    filename = f"{society.slug}-nominations-book-{timezone.localdate():%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


register_object_links(
    Society,
    ObjectLink(
        label="Download the nominations book",
        url_name="nominations_book_pdf",
        permission="view_nominations",
        society_of=lambda society: society,
    ),
)

VIEWSETS = (NominationViewSet,)
READ_ONLY_MODELS = (Nomination,)


def admin_urls():
    return [path("nominations/<int:pk>/book.pdf", book_pdf, name="nominations_book_pdf")]
