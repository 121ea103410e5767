"""Small public pages outside the page tree: the favicon browsers ask for, and the page a news
email's opt-out link opens (it asks once, then stops that society's news)."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_http_methods

from cms.news import read_opt_out_token, stop_news_emails


@require_http_methods(["GET", "POST"])
def news_opt_out(request, token):
    # A mail scanner following the link (a GET) must not opt anyone out: only the button does.
    found = read_opt_out_token(token)
    if found is None:
        raise Http404("This link is not valid: it may have been cut short. Use the one in the email.")
    holder, society = found
    done = request.method == "POST"
    if done:
        stop_news_emails(holder=holder, society=society)
    return render(request, "cms/news_opt_out.html", {"society": society, "done": done})


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page's head says: send them to the static one."""
    return redirect(static("img/favicon.ico"), permanent=True)
