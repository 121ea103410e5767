"""One state machine for every model that has a lifecycle (offers, applications, distribution
runs, withdrawal requests).

A model declares `TRANSITIONS` (each state with the states that may follow it), the `Refusal`
it raises (`lifecycle_error`) and `about()`, a phrase naming the row ("Application CS-ABCD2345").
`transition_to` is the only way its state changes; it only sets the field: the service that
locked the row saves it and writes the audit entry. `allowed_next` tells the admin which
buttons to show.
"""

from capital.errors import Refusal


class Lifecycle:
    TRANSITIONS: dict = {}
    lifecycle_error: type[Refusal] = Refusal
    state: str

    def about(self) -> str:
        raise NotImplementedError

    def allowed_next(self) -> frozenset:
        """The states this row may move to from where it is now."""
        return frozenset(self.TRANSITIONS[self.State(self.state)])

    def may_become(self, new_state) -> bool:
        return new_state in self.allowed_next()

    def transition_to(self, new_state) -> None:
        """Move to `new_state`, or refuse (changing nothing) if the lifecycle does not allow it."""
        if not self.may_become(new_state):
            raise self.lifecycle_error(
                f"{self.about()} is {self.State(self.state).label.lower()}; "
                f"it cannot become {self.State(new_state).label.lower()}."
            )
        self.state = new_state
