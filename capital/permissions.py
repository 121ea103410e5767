"""Who may do what for a society. The only place roles turn into permissions."""

from capital.errors import CapitalError
from capital.models import Society, SocietyRole

Role = SocietyRole.Role

# Actions and the board roles that may take them. Platform staff (superusers) may take any.
ACTION_ROLES = {
    "manage_society": {Role.DIRECTOR, Role.SECRETARY},
    # Seats on the board are the directors' to give and take: no one appoints themselves upward.
    "manage_board": {Role.DIRECTOR},
    "manage_share_classes": {Role.DIRECTOR, Role.SECRETARY},
    "manage_offers": {Role.DIRECTOR, Role.SECRETARY},
    "allocate_offers": {Role.DIRECTOR},
    "cancel_applications": {Role.DIRECTOR},
    "record_payments": {Role.TREASURER, Role.DIRECTOR},
    "view_register": {Role.DIRECTOR, Role.SECRETARY, Role.TREASURER},
    "start_runs": {Role.TREASURER, Role.DIRECTOR},
    "approve_runs": {Role.DIRECTOR},
    "pay_runs": {Role.TREASURER, Role.DIRECTOR},
    "issue_documents": {Role.DIRECTOR, Role.SECRETARY},
    "decide_withdrawals": {Role.DIRECTOR},
    "pay_withdrawals": {Role.TREASURER, Role.DIRECTOR},
    # The FairShares surplus: the rules are the directors'; recording the year's contributions is
    # the secretary's or the treasurer's; surplus runs are started, approved and paid as runs are.
    "manage_surplus_rules": {Role.DIRECTOR},
    "record_contributions": {Role.SECRETARY, Role.TREASURER, Role.DIRECTOR},
    "decide_transfers": {Role.DIRECTOR},
    "decide_redemptions": {Role.DIRECTOR},
    "pay_redemptions": {Role.TREASURER, Role.DIRECTOR},
    # The nominations book and members' deaths are the secretary's (s.37 and the register).
    "view_nominations": {Role.SECRETARY, Role.DIRECTOR},
    "record_deaths": {Role.SECRETARY},
    # A registered society's exemption from the holding limit (s.24) is the directors' to record.
    "grant_limit_exemptions": {Role.DIRECTOR},
    # General meetings (governance): the secretary runs them; directors propose resolutions; the
    # rules for meetings are the directors' and the secretary's to keep in line with the society's.
    "manage_governance_rules": {Role.DIRECTOR, Role.SECRETARY},
    "run_meetings": {Role.SECRETARY},
    "propose_resolutions": {Role.DIRECTOR, Role.SECRETARY},
    # The minutes are the secretary's to write and a director's, in the chair, to sign off.
    "sign_minutes": {Role.DIRECTOR},
}


def societies_for(user):
    """The societies whose data `user` may see in the board's admin."""
    if user.is_superuser:
        return Society.objects.all()
    if not user.is_authenticated:
        return Society.objects.none()
    return Society.objects.filter(roles__user=user).distinct()


def societies_where(user, action: str):
    """The societies in which `user` may take `action`."""
    if user.is_superuser:
        return Society.objects.all()
    if not user.is_authenticated:
        return Society.objects.none()
    return Society.objects.filter(roles__user=user, roles__role__in=ACTION_ROLES[action]).distinct()


def who_may(action: str) -> str:
    """The roles that may take `action`, as a person reads them: "director or secretary"."""
    return " or ".join(sorted(role.label.lower() for role in ACTION_ROLES[action]))


def may(user, action: str, society: Society) -> bool:
    if user.is_superuser:
        return True
    if not user.is_authenticated:
        return False
    return SocietyRole.objects.filter(user=user, society=society, role__in=ACTION_ROLES[action]).exists()


def require(user, action: str, society: Society) -> None:
    """Refuse unless `user` may take `action` for `society`. `None` is the system (commands)."""
    if user is None or may(user, action, society):
        return
    raise CapitalError(f"Only a {who_may(action)} of {society} may do that.")
