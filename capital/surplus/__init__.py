"""The pure FairShares surplus split: a year's surplus between reserves and the Labour, User
and Investor parts, each part split among its members to the penny. No database, no web
framework: the surplus run calls it on the real register, the public simulator on what a co-op
types in."""

from capital.surplus.split import (
    PARTS,
    Member,
    Part,
    PartLine,
    PartSplit,
    SurplusError,
    SurplusSplit,
    part_amount,
    split_part,
    split_surplus,
)

__all__ = [
    "PARTS",
    "Member",
    "Part",
    "PartLine",
    "PartSplit",
    "SurplusError",
    "SurplusSplit",
    "part_amount",
    "split_part",
    "split_surplus",
]
