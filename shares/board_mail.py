"""A person given a seat on a society's board is told, by email, through the one notify path."""

from django.conf import settings
from django.contrib.auth import get_user_model

from capital.decisions import Kind
from capital.models import SocietyRole
from shares.notify import email_address, name_for_email

DUTIES = {
    SocietyRole.Role.DIRECTOR: "open and allocate offers, approve runs and decide withdrawals, and edit "
    "and publish the society's pages",
    SocietyRole.Role.SECRETARY: "keep the society's details, classes, offers and pages, and the "
    "nominations book",
    SocietyRole.Role.TREASURER: "record payments, match bank lines and pay runs",
}


def email_appointee(sender, decision, **kwargs) -> None:
    """`decision_taken` receiver: when a seat is given, email the person it was given to."""
    if decision.kind != Kind.BOARD_APPOINTED or not decision.data.get("user"):
        return
    user = get_user_model().objects.filter(pk=decision.data["user"]).first()
    if user is None or not user.email:
        return
    role = SocietyRole.Role(decision.data["role"])
    actor = decision.actor
    email_address(
        to=user.email,
        name=user.get_full_name() or user.get_username(),
        template="shares/email/board_seat",
        subject=f"You are now {role.label.lower()} of {decision.society}",
        role=role.label.lower(),
        society=decision.society.name,
        appointed_by=name_for_email(actor.get_full_name() or actor.get_username())
        if actor is not None
        else "",
        admin_url=f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/",
        duties=DUTIES[role],
    )
