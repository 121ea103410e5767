"""Cache headers for the public pages.

An offer's launch brings its whole community to one page at once: what anonymous visitors see may
be kept by browsers and shared caches for a minute. Anything that can differ per person — a
logged-in header with its logout form, a flash message, a page unlocked by a password — is never
stored.
"""

from django.contrib import messages
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from wagtail.models import PageViewRestriction

PUBLIC_MAX_AGE = 60  # seconds: progress figures may be a minute old


def set_cache_headers(request, response) -> None:
    if _personal(request):
        add_never_cache_headers(response)
    else:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    patch_vary_headers(response, ["Cookie"])


def _personal(request) -> bool:
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return True
    if request.session.get(PageViewRestriction.passed_view_restrictions_session_key):
        return True
    return len(messages.get_messages(request)) > 0


class PublicCacheMixin:
    """For page models: serve anonymous visitors with short public cache headers."""

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        set_cache_headers(request, response)
        return response
