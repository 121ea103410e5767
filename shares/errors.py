class RegisterError(Exception):
    """The share register refused a movement; the message says why and what to do."""
