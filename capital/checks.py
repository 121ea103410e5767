"""Start-up checks for a production deployment."""

from django.conf import settings
from django.core.checks import Error, register

from capital.public_address import why_not_public_https


@register()
def site_url_is_public_https(app_configs=None, **kwargs):
    """Without DEBUG, SITE_URL (used in every emailed link) must be https and not this machine.
    The settings refuse to load with such a SITE_URL too, so a server that runs no checks
    (gunicorn) cannot start with it either."""
    if settings.DEBUG:
        return []
    problem = why_not_public_https(getattr(settings, "SITE_URL", ""))
    if problem:
        return [
            Error(
                f"SITE_URL is {settings.SITE_URL!r}: {problem}, so emailed links would not reach investors.",
                hint="Set SITE_URL to the site's public https address, e.g. https://shares.example.coop.",
                id="commonshare.E001",
            )
        ]
    return []
