"""The activity simulator: signs inside open release windows every few seconds, so live
views move. It goes through the same signing rules as the API."""

from __future__ import annotations

import random
import threading

from stm_tui.emulator.context import EmulatorState


class ActivitySimulator:
    def __init__(self, state: EmulatorState, rng_seed: int, interval: float = 4.0) -> None:
        self.state = state
        self.rng = random.Random(rng_seed)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stm-emulator-activity",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval * (0.5 + self.rng.random())):
            pass
