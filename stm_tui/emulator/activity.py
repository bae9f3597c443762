"""The activity simulator: signs inside open release windows every few seconds, so live
views move. It goes through the same signing rules (and signature log) as the API."""

from __future__ import annotations

import contextlib
import random
import threading
from typing import Any

from stm_tui.emulator import crypto, render
from stm_tui.emulator.context import EmulatorState
from stm_tui.emulator.errors import ApiError

_ALGS = {"RSA": "SHA256withRSA", "ECDSA": "SHA256withECDSA", "EDDSA": "ED25519"}


class ActivitySimulator:
    def __init__(self, state: EmulatorState, rng_seed: int, interval: float = 4.0) -> None:
        self.state = state
        self.rng = random.Random(rng_seed)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stm-emulator-activity", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval * (0.5 + self.rng.random())):
            with contextlib.suppress(ApiError, KeyError, RuntimeError):
                self.tick()

    def tick(self) -> bool:
        """One signature in a random open window; False when nothing is open."""
        from stm_tui.emulator.routes_signing import sign_and_record

        state = self.state
        now = state.now_iso()
        windows = [
            r
            for r in state.db.select("releases")
            if render.release_status(r, now) == "OPEN" and r["signer_ids"]
        ]
        if not windows:
            return False
        window = self.rng.choice(windows)
        kp: dict[str, Any] | None = state.db.get("keypairs", self.rng.choice(window["keypair_ids"]))
        user = state.db.get("users", self.rng.choice(window["signer_ids"]))
        if kp is None or user is None or kp["suspended"]:
            return False
        digest = self.rng.getrandbits(256).to_bytes(32, "big")
        sig_alg = _ALGS[kp["key_alg"]]
        key = crypto.load_private(state.db.key_material(kp["key_ref"]))
        crypto.sign_digest(key, kp["key_alg"], sig_alg, digest)  # really sign, like the API
        ip = f"10.20.{self.rng.randint(0, 15)}.{self.rng.randint(2, 254)}"
        sign_and_record(state, window["account_id"], user, ip, kp, sig_alg, crypto.b64(digest))
        return True
