"""Sections that the apps above add to a holder's dashboard, without the dashboard naming them.

`governance` adds the member's meetings, ballots and proposals; the dashboard (in `investors`)
shows whatever is registered, in the order registered. A panel is a function of the holder
returning the template to include and its context, or None when it has nothing to show.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from shares.models import Holder


@dataclass(frozen=True)
class MemberPanel:
    template: str
    context: dict = field(default_factory=dict)


PANELS: list[Callable[[Holder], MemberPanel | None]] = []


def register_member_panel(panel: Callable[[Holder], MemberPanel | None]) -> None:
    if panel not in PANELS:
        PANELS.append(panel)


def member_panels(holder: Holder | None) -> list[MemberPanel]:
    if holder is None:
        return []
    return [shown for shown in (panel(holder) for panel in PANELS) if shown is not None]
