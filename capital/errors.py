class CapitalError(Exception):
    """A rule about societies, share classes or offers was broken.

    The message is shown to a person as it is, so it says what to do next.
    """
