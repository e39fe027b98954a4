"""Drawing options: one small frozen dataclass read by `draw_dot`, the backward stepper and the CLI.

Every option is checked here, once, so each caller reports bad values the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Directions a drawing can flow in: left to right, top to bottom, right to left, bottom to top.
RANKDIRS = ("LR", "TB", "RL", "BT")

#: Above this many nodes a flat drawing is unreadable (and slow for `dot`): drawings refuse it.
DEFAULT_MAX_NODES = 300


@dataclass(frozen=True)
class DrawOptions:
    """How a graph is drawn: direction, nn module clusters, collapsing, size limit, decimals.

    Attributes:
        rankdir: "LR" (left to right), "TB" (top to bottom: narrow pages), "RL" or "BT".
        clusters: draw the nodes of each nn module call inside a labelled cluster.
        collapse_depth: draw each module call at this depth (0 = outermost modules) as
            one box listing its output values; None draws every node.
        max_nodes: refuse (ValueError) to draw more nodes than this; None: no limit.
        precision: decimals shown for data and gradients.
    """

    rankdir: str = "LR"
    clusters: bool = True
    collapse_depth: int | None = None
    max_nodes: int | None = DEFAULT_MAX_NODES
    precision: int = 4

    def __post_init__(self) -> None:
        if type(self.rankdir) is not str:
            raise TypeError(f"rankdir must be a str, got {type(self.rankdir).__name__}")
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {self.rankdir!r}")
        if type(self.clusters) is not bool:
            raise TypeError(f"clusters must be True or False, got {self.clusters!r}")
        _check_count("collapse_depth", self.collapse_depth, least=0)
        _check_count("max_nodes", self.max_nodes, least=1)
        if type(self.precision) is not int:
            raise TypeError(f"precision must be an int, got {type(self.precision).__name__}")
        if not 0 <= self.precision <= 17:  # a float has 17 significant digits at most
            raise ValueError(f"precision must be from 0 to 17, got {self.precision}")


def _check_count(name: str, value: Any, least: int) -> None:
    """`value` is None or an int >= `least` (bool is not a count)."""
    if value is None:
        return
    if type(value) is not int:
        raise TypeError(f"{name} must be an int or None, got {type(value).__name__} {value!r}")
    if value < least:
        raise ValueError(f"{name} must be at least {least} (or None), got {value}")


#: The defaults, for signatures that spell the options out as keywords.
DEFAULTS = DrawOptions()


def resolve_options(caller: str, options: DrawOptions | None, **keywords: Any) -> DrawOptions:
    """The options of a call that takes either `options=DrawOptions(...)` or the keywords.

    Keywords left at their defaults are ignored when `options` is given; any other keyword
    beside `options` is an error (which of the two should win would be a guess).
    Bad values raise the dataclass's error, prefixed with `caller`.
    """
    if options is not None:
        if not isinstance(options, DrawOptions):
            got = type(options).__name__
            raise TypeError(f"{caller}: options must be a DrawOptions, got {got}")
        changed = [k for k, v in keywords.items() if v != getattr(DEFAULTS, k)]
        if changed:
            raise TypeError(
                f"{caller}: pass {', '.join(changed)} inside options=DrawOptions(...), "
                "not beside it"
            )
        return options
    try:
        return DrawOptions(**keywords)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{caller}: {exc}") from None

