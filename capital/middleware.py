"""Headers every response carries: no caching of personal pages, the Content-Security-Policy and the
Permissions-Policy."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.utils.cache import add_never_cache_headers


class PrivatePagesMiddleware:
    """`Cache-Control: no-store` (with Django's never-cache headers) on every response to a logged-in
    user that has not set its own caching, so a new personal page cannot forget it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (`CONTENT_SECURITY_POLICY`: no inline script or style anywhere on the
    site), relaxed only under the paths of `CSP_RELAXED_PREFIXES` by `CSP_RELAXED_UPDATE`.

    Wagtail's admin still writes inline scripts in some of its widgets and panels (date and time
    pickers, inline panels, multiple choosers) and inline styles in a few templates, so its pages
    get `'unsafe-inline'` for scripts and styles; the public site and investors' pages never do.
    A view's own `csp_update`/`csp_replace` decorator still wins."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        relaxed = request.path_info.startswith(tuple(settings.CSP_RELAXED_PREFIXES))
        if relaxed and not report_only and parts.update is None:
            parts.update = settings.CSP_RELAXED_UPDATE
        return parts


class PermissionsPolicyMiddleware:
    """`Permissions-Policy` on every response: no page (nor a frame inside it) may use the camera,
    microphone, location or other device features; payment only for the site and its card provider."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = permissions_policy_header(settings.PERMISSIONS_POLICY)
        return response


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """`{"camera": [], "payment": ["self", "https://js.stripe.com"]}` → `camera=(), payment=(self "https://js.stripe.com")`."""

    def allowlist(origins):
        return " ".join(origin if origin == "self" else f'"{origin}"' for origin in origins)

    return ", ".join(f"{feature}=({allowlist(origins)})" for feature, origins in policy.items())
