from capital.errors import Refusal


class RegisterError(Refusal):
    """The share register refused a movement; the message says why and what to do."""
