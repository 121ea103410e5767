"""Start-up checks for a production deployment."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register


@register()
def site_url_is_public_https(app_configs=None, **kwargs):
    """Without DEBUG, SITE_URL (used in every emailed link) must be https and not this machine."""
    if settings.DEBUG:
        return []
    url = urlsplit(getattr(settings, "SITE_URL", ""))
    host = (url.hostname or "").lower()
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if url.scheme != "https" or not host or loopback:
        return [
            Error(
                f"SITE_URL is {settings.SITE_URL!r}: emailed links would not reach investors.",
                hint="Set SITE_URL to the site's public https address, e.g. https://shares.example.coop.",
                id="commonshare.E001",
            )
        ]
    return []
