"""Downloading a stored document: the holder their own, the board any of its society's."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control

from capital import permissions
from investors.models import Document


@login_required
@cache_control(private=True, no_store=True)
def download_document(request, pk, filename):
    """Nobody else learns that the document exists (404), whatever the filename says."""
    document = Document.objects.select_related("society", "holder").filter(pk=pk).first()
    if document is None or document.filename != filename or not _may_download(request.user, document):
        raise Http404
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=filename)


def _may_download(user, document) -> bool:
    return document.holder.user_id == user.pk or permissions.may(user, "view_register", document.society)
