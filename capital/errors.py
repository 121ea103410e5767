class Refusal(Exception):
    """A rule refused the action. The message is shown to a person as it is, so it says what to
    do next. Every surface (admin action, page, API, command) catches a `Refusal` and shows it;
    anything else is a bug, and it propagates."""


class CapitalError(Refusal):
    """A rule about societies, share classes or offers was broken."""
