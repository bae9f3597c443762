"""The activity simulator: signs inside open release windows every few seconds, so live
views move. It goes through the same signing rules (and signature log) as the API, and now
and then makes an attempt those rules refuse (a user who is not a signer of an offline
window), so failed attempts show up in the log as they do in production."""

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
    FAILURE_SHARE = 0.1

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
        if self.rng.random() < self.FAILURE_SHARE and self.failed_attempt():
            return True
        return self._sign(refused=False)

    def failed_attempt(self) -> bool:
        """An attempt by a user who is not a signer of an open offline window: refused,
        and logged as FAILED. False when no such attempt can be made."""
        return self._sign(refused=True)

    def _sign(self, *, refused: bool) -> bool:
        from stm_tui.emulator.routes_signing import sign_and_record

        state = self.state
        now = state.now_iso()
        windows = [
            r
            for r in state.db.select("releases")
            if render.release_status(r, now) == "OPEN"
            and r["signer_ids"]
            and (not refused or r["release_type"] == "OFFLINE")
        ]
        if not windows:
            return False
        window = self.rng.choice(windows)
        kp: dict[str, Any] | None = state.db.get("keypairs", self.rng.choice(window["keypair_ids"]))
        if refused:
            others = [
                u
                for u in state.db.select(
                    "users",
                    "id IN (SELECT user_id FROM user_accounts WHERE account_id=?)",
                    (window["account_id"],),
                )
                if u["id"] not in window["signer_ids"]
            ]
            user = self.rng.choice(others) if others else None
            if kp is None or user is None or kp["key_status"] != "OFFLINE":
                return False
        else:
            user = state.db.get("users", self.rng.choice(window["signer_ids"]))
            if kp is None or user is None:
                return False
        digest = self.rng.getrandbits(256).to_bytes(32, "big")
        sig_alg = _ALGS[kp["key_alg"]]
        key = crypto.load_private(state.db.key_material(kp["key_ref"]))
        signature = crypto.sign_digest(key, kp["key_alg"], sig_alg, digest)  # like the API
        ip = f"10.20.{self.rng.randint(0, 15)}.{self.rng.randint(2, 254)}"
        try:
            sign_and_record(state, user, kp, sig_alg, crypto.b64(digest), crypto.b64(signature), ip)
        except ApiError:
            return refused  # refused and logged: what a failed attempt is meant to be
        return True
