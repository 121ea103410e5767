"""Pages shown to someone logged in carry their personal data: no browser or shared cache keeps them."""

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
