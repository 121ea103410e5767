"""Board members and staff: two-factor before the admin, and sessions that last a working day.

A director, secretary or treasurer of any society, and every staff member, is sent to set up
two-factor authentication (an authenticator app, with recovery codes; or a security key) before
any admin page opens. Their session ends when the browser closes and, whatever the browser does,
`BOARD_SESSION_SECONDS` (a working day) after they logged in. Investors' sessions follow
`SESSION_COOKIE_AGE` (two weeks at most).
"""

import time
from urllib.parse import urlencode

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

from capital.models import SocietyRole

BOARD_SESSION_STARTED = "commonshare_board_session_started"
ADMIN_PREFIX = "/admin/"
SET_UP_TWO_FACTOR = (
    "Board members and staff protect their account with a second step. Set up an authenticator "
    "app (or a security key) to open the admin."
)
BOARD_SESSION_ENDED = "For your safety a board session lasts a working day. Please log in again."
NO_ADMIN_ACCESS = "The admin is for societies' boards. Your shares and applications are on this page."


def needs_two_factor(user) -> bool:
    """Staff, and anyone holding a seat on a society's board."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or SocietyRole.objects.filter(user=user).exists()


BOARD_SEEN = "commonshare_board_user"


def _is_board(request, user, *, fresh: bool) -> bool:
    """Asked of the database on admin pages, and once a session elsewhere (kept in it)."""
    if not user.is_authenticated:
        return False
    seen = request.session.get(BOARD_SEEN)
    if fresh or seen is None or seen[0] != user.pk:
        answer = [user.pk, needs_two_factor(user)]
        if answer != seen:
            # Written only when it changed: a session saved on every admin request would be
            # sent back as a cookie by every response, each a write to the session store.
            request.session[BOARD_SEEN] = answer
        seen = answer
    return seen[1]


def _logged_in_without_admin_access(user) -> bool:
    return user is not None and user.is_authenticated and not user.has_perm("wagtailadmin.access_admin")


class BoardSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        admin_page = request.path.startswith(ADMIN_PREFIX)
        if admin_page and _logged_in_without_admin_access(user):
            # Wagtail would send them to log in, and the login page (they are logged in) straight
            # back here: a loop. Their own pages are where they meant to go.
            messages.info(request, NO_ADMIN_ACCESS)
            return redirect("account:dashboard")
        if user is not None and _is_board(request, user, fresh=admin_page):
            started = request.session.get(BOARD_SESSION_STARTED)
            if started is not None and time.time() - started > settings.BOARD_SESSION_SECONDS:
                logout(request)
                messages.info(request, BOARD_SESSION_ENDED)
                return redirect_to_login(request.get_full_path())
            if admin_page and not is_mfa_enabled(user):
                messages.info(request, SET_UP_TWO_FACTOR)
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        response = self.get_response(request)
        # The view may just have logged someone in: hold their session to the board's rules.
        user = getattr(request, "user", None)
        if user is not None and hasattr(request, "session") and _is_board(request, user, fresh=False):
            if request.session.get(BOARD_SESSION_STARTED) is None:
                request.session[BOARD_SESSION_STARTED] = time.time()
            if not request.session.get_expire_at_browser_close():
                request.session.set_expiry(0)
        return response
