from django.core.management.base import CommandError

from capital.models import Society


def society_from_slug(slug: str) -> Society:
    """The society a command names, or the command's error a person can act on."""
    society = Society.objects.filter(slug=slug).first()
    if society is None:
        raise CommandError(f"No society has the slug {slug!r}.")
    return society
