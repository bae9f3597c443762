"""The quota gauge: signatures used against the window's maximum, amber at 80%, red at 100%."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from stm_tui.views.monitor.quota import Gauge, Level

_FILL = {"ascii": ("#", "-")}
_DEFAULT_FILL = ("█", "░")


class QuotaGauge(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "quota-gauge--normal",
        "quota-gauge--amber",
        "quota-gauge--red",
        "quota-gauge--empty",
    }
    DEFAULT_CSS = """
    QuotaGauge {
        height: 1;
        width: 1fr;
        & > .quota-gauge--normal { color: $success; }
        & > .quota-gauge--amber { color: $warning; text-style: bold; }
        & > .quota-gauge--red { color: $error; text-style: bold; }
        & > .quota-gauge--empty { color: $foreground-muted; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: tuple[Gauge | None, str] = (None, "blocks")
        self.repaints = 0

    def show(self, gauge: Gauge, glyphs: str) -> bool:
        state = (gauge, glyphs)
        if state == self._state:
            return False
        self._state = state
        for level in Level:
            self.set_class(gauge.level is level, f"-{level.value}")
        self.repaints += 1
        self.refresh()
        return True

    def render(self) -> Text:
        gauge, glyphs = self._state
        if gauge is None:
            return Text("Quota  …")
        line = Text("Quota  ")
        label = f"  {gauge.text}"
        if gauge.level is Level.AMBER:
            label += "  ⚠ 80%" if glyphs != "ascii" else "  ! 80%"
        elif gauge.level is Level.RED:
            label += "  ⚠ FULL" if glyphs != "ascii" else "  ! FULL"
        width = max(0, self.content_size.width - len(line) - len(label))
        if gauge.fraction is None:
            line.append(" " * width)
        else:
            full, empty = _FILL.get(glyphs, _DEFAULT_FILL)
            filled = min(width, round(gauge.fraction * width))
            style = "normal" if gauge.level is Level.NORMAL else gauge.level.value
            line.append(full * filled, self.get_component_rich_style(f"quota-gauge--{style}"))
            line.append(empty * (width - filled),
                        self.get_component_rich_style("quota-gauge--empty"))
        tail_style = (
            self.get_component_rich_style(f"quota-gauge--{gauge.level.value}")
            if gauge.level in (Level.AMBER, Level.RED) else None
        )
        line.append(label, tail_style or "")
        return line
