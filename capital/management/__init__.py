from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError

from capital.models import Society


def society_from_slug(slug: str) -> Society:
    """The society a command names, or the command's error a person can act on."""
    society = Society.objects.filter(slug=slug).first()
    if society is None:
        raise CommandError(f"No society has the slug {slug!r}.")
    return society


def decimal_option(value: str | None, option: str) -> Decimal | None:
    """A command's number (`--surplus 50,000`), or the command's error naming the option."""
    if value is None:
        return None
    try:
        number = Decimal(value.replace(",", "").replace("£", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise CommandError(f"{option} {value!r} is not a number.")
    return number
