"""Reaching the board's admin pages in tests."""


def action_url(model: str, name: str, pk: int) -> str:
    return f"/admin/{model}/action/{name}/{pk}/"


def refused(response) -> bool:
    """Wagtail answers a board member whose role does not allow a page by sending them to the
    admin's dashboard."""
    return response.status_code == 302 and response["Location"] == "/admin/"


def sent_to_log_in(response) -> bool:
    """Anyone who is not on a board (a visitor, an investor) is asked to log in as one, on the
    site's login page (the admin's own redirects there)."""
    return response.status_code == 302 and response["Location"].startswith(
        ("/account/login/", "/admin/login/")
    )


def sent_to_their_dashboard(response) -> bool:
    """A logged-in investor who opens an admin page is taken to their own account's dashboard."""
    return response.status_code == 302 and response["Location"] == "/account/"
