"""Counting things in sentences people read."""


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`counted(1, "application")` is "1 application"; 1200 gives "1,200 applications"."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
