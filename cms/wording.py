"""What a share class gives its holder, in plain words, for the offer page.

Control is stated first because it is what investors most often misread: investor shares carry
no vote and no control right at all, and member classes give one member one vote, never a vote
per share.
"""

from capital.models import ShareClass
from capital.money import format_money

INVESTOR_CONTROL = (
    "Investor shares carry no vote and no control right: holding them does not make you a member, "
    "and they give no vote, no say in choosing or removing the board, and no veto."
)
ONE_MEMBER_ONE_VOTE = (
    "One member, one vote: every member has a single vote at general meetings, however many shares they hold."
)


def describe_rights(share_class: ShareClass) -> list[str]:
    sentences = _control(share_class)
    sentences.append(_withdrawal(share_class))
    sentences.append(
        "You can transfer these shares to someone else."
        if share_class.transferable
        else "These shares cannot be sold or transferred to anyone else."
    )
    if share_class.withdrawable:
        sentences.append(
            f"They never rise or fall in value: each is worth {format_money(share_class.nominal_value)}."
        )
    if share_class.maximum_holding_shares:
        sentences.append(
            f"No one may hold more than {share_class.maximum_holding_shares:,} shares of this class."
        )
    if share_class.declared_maximum_interest_percent is not None:
        rate = f"{share_class.declared_maximum_interest_percent.normalize():f}"
        sentences.append(f"The society has declared that it will never pay more than {rate}% a year on them.")
    return sentences


def _control(share_class: ShareClass) -> list[str]:
    if share_class.is_investor_class:
        return [INVESTOR_CONTROL]
    if not share_class.confers_membership:
        return ["These shares do not make you a member of the society and carry no vote."]
    minimum = share_class.membership_minimum_shares
    holding = "one share" if minimum == 1 else f"{minimum:,} shares"
    sentences = [f"Holding {holding} or more makes you a member of the society."]
    if share_class.carries_votes:
        sentences.append(ONE_MEMBER_ONE_VOTE)
    else:
        sentences.append("Membership through these shares carries no vote.")
    if share_class.can_nominate_directors or share_class.can_remove_directors:
        sentences.append("Members elect the board and can remove directors.")
    if share_class.has_veto_or_class_consent:
        sentences.append("The rights of this class cannot be changed without its holders' consent.")
    return sentences


def _withdrawal(share_class: ShareClass) -> str:
    if share_class.withdrawable:
        return (
            "You can ask for your money back (withdraw your shares at their face value) under the "
            "society's rules; the board may delay or suspend withdrawals to protect the society."
        )
    return "These shares cannot be withdrawn on request."
