"""Finding holders in the register."""

from django.db.models import QuerySet

from shares.errors import RegisterError
from shares.models import Holder


def holder_for_user(user) -> Holder | None:
    """The register record linked to this login, if any (one at most: the link is unique)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Holder.objects.select_related("payout_account").filter(user=user).first()


def holder_by_email(email: str, *, preferring: QuerySet[Holder] | None = None) -> Holder:
    """The investor with this email (any case). Several investors may share one address (a
    household): then the one among `preferring` (those the document is for), if only one is."""
    matches = list(Holder.objects.filter(email__iexact=email.strip()).order_by("pk"))
    if not matches:
        raise RegisterError(f"No investor has the email {email!r}.")
    if len(matches) > 1 and preferring is not None:
        wanted = set(preferring.filter(pk__in=[holder.pk for holder in matches]).values_list("pk", flat=True))
        matches = [holder for holder in matches if holder.pk in wanted] or matches
    if len(matches) > 1:
        names = ", ".join(f"{holder.name} (#{holder.pk})" for holder in matches)
        raise RegisterError(f"{len(matches)} investors share the email {email!r}: {names}.")
    return matches[0]
