"""How a holder takes interest on each interest-paying class they hold: as money or as new
shares. The run reads the election when it works out the year."""

from django.db import transaction

from capital.errors import Refusal
from capital.models import ShareClass
from capital.services import record_audit
from investors.models import InterestElection
from shares.models import Holder, Holding


class ElectionError(Refusal):
    pass


def interest_classes_held(holder: Holder) -> list[ShareClass]:
    """The interest-paying classes (a schedule with no pool share) the holder has shares in."""
    return list(
        ShareClass.objects.filter(
            holdings__holder=holder,
            holdings__shares__gt=0,
            return_schedule__isnull=False,
            return_schedule__pool_percent__isnull=True,
        )
        .select_related("society")
        .distinct()
        .order_by("society__name", "name")
    )


def elections_of(holder: Holder) -> dict[int, str]:
    """Share class id to `take_as`, for the classes with a row (money when there is none)."""
    return dict(InterestElection.objects.filter(holder=holder).values_list("share_class_id", "take_as"))


def elect_interest(*, holder: Holder, share_class: ShareClass, take_as: str, by) -> InterestElection:
    """Record how `holder` takes interest on `share_class`, audited in its society. Only a
    holder of the class may choose, and only for a class that pays interest."""
    if take_as not in InterestElection.TakeAs.values:
        raise ElectionError("Choose money or new shares.")
    with transaction.atomic():
        held = Holding.objects.filter(holder=holder, share_class=share_class, shares__gt=0).exists()
        if not held or share_class not in interest_classes_held(holder):
            raise ElectionError(f"You hold no interest-paying {share_class.name} shares to choose for.")
        election, created = InterestElection.objects.select_for_update().get_or_create(
            holder=holder, share_class=share_class, defaults={"take_as": take_as}
        )
        if created or election.take_as != take_as:
            election.take_as = take_as
            election.save(update_fields=["take_as", "updated_at"])
            record_audit(
                society=share_class.society,
                actor=by,
                action="interest_election.changed",
                summary=f"{holder.name} takes interest on {share_class.name} as "
                f"{election.get_take_as_display().lower()}",
                holder=holder.pk,
                share_class=share_class.pk,
                take_as=take_as,
            )
    return election
