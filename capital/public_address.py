"""Whether an address is one that investors' mail readers and phones can reach: the site's
public https address, never this machine. SITE_URL goes into every emailed link and every
certificate's QR code, so a wrong one is found at start-up, not by an investor."""

import ipaddress
import socket
from urllib.parse import urlsplit


def why_not_public_https(url: str) -> str:
    """Why `url` is not a public https address ("" when it is)."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme != "https":
        return "it is not an https address"
    if not host:
        return "it names no host"
    if host == "localhost" or host.endswith(".localhost"):
        return "it is this machine"
    address = _as_ip_address(host)
    if address is not None:
        if getattr(address, "ipv4_mapped", None):
            address = address.ipv4_mapped
        if address.is_loopback or address.is_unspecified or address.is_link_local:
            return "it is this machine, or no machine"
    return ""


def _as_ip_address(host: str):
    """`host` as an IP address, read as browsers and resolvers read it: `127.1` and
    `2130706433` are 127.0.0.1 too. None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.ip_address(socket.inet_aton(host))
    except OSError:
        return None
