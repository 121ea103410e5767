from capital.errors import Refusal


class GovernanceError(Refusal):
    """A rule about meetings, ballots or the decision record was broken."""


class NotOnRoll(GovernanceError):
    """Only a member on the roll at the record date votes, stands, seconds or signs."""
