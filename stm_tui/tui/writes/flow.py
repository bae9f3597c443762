"""What a workflow needs of the write flow, as a Protocol (`tui.write_flow.WriteFlow` is
one): the workflows are looked up by the flow, so they must not import it back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from textual.app import App

from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.session import Session


class Flow(Protocol):
    @property
    def app(self) -> App[Any]: ...

    @property
    def session(self) -> Session: ...

    def confirm(
        self,
        call: WriteCall,
        *,
        impact: Sequence[str] = (),
        then: Callable[[WriteOutcome], None] | None = None,
        cancelled: Callable[[], None] | None = None,
    ) -> None: ...
