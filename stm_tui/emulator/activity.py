"""The activity simulator: signature attempts inside open release windows, so live views
and monitors have something to follow.

It goes through the same signing rules and signature log as the API: a mix of each open
window's signers and keypairs, at a configurable rate (signatures per minute), with now and
then an attempt of each kind the rules refuse (a user who is not a signer of the window, a
keypair not assigned to the user, a missing second factor, an offline keypair outside any
window; full quotas and failed scans refuse by themselves). A burst signs N at once, in one
transaction, for tests and benchmarks of a monitor under load."""

from __future__ import annotations

import contextlib
import random
import threading
from typing import Any

from stm_tui.emulator import crypto, render
from stm_tui.emulator.context import EmulatorState
from stm_tui.emulator.errors import ApiError
from stm_tui.emulator.records import SignFailure

_ALGS = {"RSA": "SHA256withRSA", "ECDSA": "SHA256withECDSA", "EDDSA": "ED25519"}
MAX_BURST = 5000


class ActivitySimulator:
    def __init__(
        self,
        state: EmulatorState,
        rng_seed: int,
        rate_per_minute: float = 15.0,
        failure_share: float = 0.1,
    ) -> None:
        self.state = state
        self.rng = random.Random(rng_seed)
        self.rate_per_minute = rate_per_minute
        self.FAILURE_SHARE = failure_share
        self.signed = 0
        self.refused = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one attempt at a time (the rng is shared)

    # ---- the background thread --------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stm-emulator-activity", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def set_rate(self, rate_per_minute: float) -> None:
        self.rate_per_minute = rate_per_minute
        self._wake.set()  # a long wait at the old rate ends now

    def _delay(self) -> float:
        if self.rate_per_minute <= 0:
            return 1.0
        return 60.0 / self.rate_per_minute * (0.5 + self.rng.random())

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            if self._wake.wait(self._delay()) or self._stop.is_set():
                continue  # woken by a rate change or stop: recompute
            if self.rate_per_minute <= 0:
                continue
            with contextlib.suppress(ApiError, KeyError, RuntimeError):
                self.tick()

    # ---- one attempt ----------------------------------------------------------------------

    def tick(self) -> bool:
        """One attempt in a random open window; False when nothing is open."""
        with self._lock:
            if self.rng.random() < self.FAILURE_SHARE and self._failed():
                return True
            return self._attempt(self._plan_success())

    def failed_attempt(self, reason: str | None = None) -> bool:
        """An attempt the rules refuse (of `reason`, or any kind that can be made now);
        False when none can be made."""
        with self._lock:
            return self._failed(reason)

    def _failed(self, reason: str | None = None) -> bool:
        kinds = [reason] if reason else list(_FAILURE_PLANS)
        self.rng.shuffle(kinds)
        for kind in kinds:
            plan = _FAILURE_PLANS[kind](self)
            if plan is not None and self._attempt(plan):
                return True
        return False

    def _open_windows(self) -> list[dict[str, Any]]:
        now = self.state.now_iso()
        return [
            r
            for r in self.state.db.select("releases")
            if render.release_status(r, now) == "OPEN" and r["signer_ids"] and r["keypair_ids"]
        ]

    def _plan_success(self, release_id: str | None = None) -> Plan | None:
        windows = [w for w in self._open_windows() if release_id in (None, w["id"])]
        if not windows:
            return None
        window = self.rng.choice(windows)
        kp = self.state.db.get("keypairs", self.rng.choice(window["keypair_ids"]))
        user = self.state.db.get("users", self.rng.choice(window["signer_ids"]))
        if kp is None or user is None:
            return None
        return Plan(kp, user, None)

    def _account_users(self, account_id: str) -> list[dict[str, Any]]:
        return self.state.db.select(
            "users",
            "id IN (SELECT user_id FROM user_accounts WHERE account_id=?) AND status='ACTIVE'",
            (account_id,),
        )

    def _attempt(self, plan: Plan | None) -> bool:
        """Sign according to the plan through the rules; True if an attempt was logged."""
        from stm_tui.emulator.routes_signing import Refused, record_refusal, sign_and_record

        if plan is None:
            return False
        state, kp, user = self.state, plan.keypair, plan.user
        digest = self.rng.getrandbits(256).to_bytes(32, "big")
        sig_alg = _ALGS[kp["key_alg"]]
        ip = f"10.20.{self.rng.randint(0, 15)}.{self.rng.randint(2, 254)}"
        if plan.refusal is not None:  # refused before the release rules (as the API does)
            code, status, message = plan.refusal
            record_refusal(
                state,
                kp["account_id"],
                user,
                ip,
                kp,
                sig_alg,
                crypto.b64(digest),
                Refused(code, ApiError(status, "access_denied", message)),
            )
            self.refused += 1
            return True
        key = state.signing_key(kp["key_ref"])
        signature = crypto.sign_digest(key, kp["key_alg"], sig_alg, digest)  # like the API
        try:
            sign_and_record(state, user, kp, sig_alg, crypto.b64(digest), crypto.b64(signature), ip)
        except ApiError:
            self.refused += 1  # refused by the rules, and logged: a failed attempt
            return True
        self.signed += 1
        return True

    # ---- bursts ---------------------------------------------------------------------------

    def burst(
        self, count: int, release_id: str | None = None, failure_share: float = 0.0
    ) -> dict[str, Any]:
        """`count` attempts at once, in one transaction (so a poll sees all or none)."""
        from stm_tui.emulator.routes_signing import Refused, refusal_in, sign_in

        state = self.state
        with self._lock:
            plans: list[tuple[Plan, str, str, str, str]] = []
            for _ in range(count):
                plan = None
                if failure_share and self.rng.random() < failure_share:
                    plan = _FAILURE_PLANS[SignFailure.NOT_A_RELEASE_SIGNER](self, release_id)
                plan = plan or self._plan_success(release_id)
                if plan is None:
                    break
                kp = plan.keypair
                digest = self.rng.getrandbits(256).to_bytes(32, "big")
                sig_alg = _ALGS[kp["key_alg"]]
                key = state.signing_key(kp["key_ref"])
                signature = crypto.b64(crypto.sign_digest(key, kp["key_alg"], sig_alg, digest))
                ip = f"10.20.{self.rng.randint(0, 15)}.{self.rng.randint(2, 254)}"
                plans.append((plan, sig_alg, crypto.b64(digest), ip, signature))
            signed = failed = 0
            with state.db.tx() as c:
                for planned, sig_alg, hash_b64, ip, signature in plans:
                    kp, user = planned.keypair, planned.user
                    try:
                        sign_in(c, state, user, user, kp, sig_alg, hash_b64, signature, ip)
                        signed += 1
                    except Refused as refused:
                        refusal_in(
                            c, state, kp["account_id"], user, ip, kp, sig_alg, hash_b64, refused
                        )
                        failed += 1
            self.signed += signed
            self.refused += failed
        return {"attempted": len(plans), "signed": signed, "failed": failed}


class Plan:
    """Who signs with what; `refusal` (reason, status, message) for attempts the API
    refuses before the release rules."""

    def __init__(
        self,
        keypair: dict[str, Any],
        user: dict[str, Any],
        refusal: tuple[str, int, str] | None,
    ) -> None:
        self.keypair = keypair
        self.user = user
        self.refusal = refusal


def _not_a_signer(sim: ActivitySimulator, release_id: str | None = None) -> Plan | None:
    """A user who is not a signer of an open offline window, on one of its OFFLINE keys."""
    windows = [
        w
        for w in sim._open_windows()
        if w["release_type"] == "OFFLINE" and release_id in (None, w["id"])
    ]
    if not windows:
        return None
    window = sim.rng.choice(windows)
    kp = sim.state.db.get("keypairs", sim.rng.choice(window["keypair_ids"]))
    others = [
        u for u in sim._account_users(window["account_id"]) if u["id"] not in window["signer_ids"]
    ]
    if kp is None or kp["key_status"] != "OFFLINE" or not others:
        return None
    return Plan(kp, sim.rng.choice(others), None)


def _outside_window(sim: ActivitySimulator, release_id: str | None = None) -> Plan | None:
    """One of an OFFLINE keypair's users, while no window holding it is open."""
    busy = {k for w in sim._open_windows() for k in w["keypair_ids"]}
    offline = [
        kp
        for kp in sim.state.db.select("keypairs", "key_status='OFFLINE'")
        if kp["id"] not in busy and kp["user_ids"]
    ]
    if not offline:
        return None
    kp = sim.rng.choice(offline)
    user = sim.state.db.get("users", sim.rng.choice(kp["user_ids"]))
    return Plan(kp, user, None) if user else None


def _window_keypair(sim: ActivitySimulator) -> tuple[dict[str, Any], dict[str, Any]] | None:
    windows = sim._open_windows()
    if not windows:
        return None
    window = sim.rng.choice(windows)
    kp = sim.state.db.get("keypairs", sim.rng.choice(window["keypair_ids"]))
    return (kp, window) if kp else None


def _not_assigned(sim: ActivitySimulator, release_id: str | None = None) -> Plan | None:
    """Someone of the account who is not assigned to a restricted window keypair."""
    found = _window_keypair(sim)
    if found is None or not found[0]["limit_by_users"]:
        return None
    kp, window = found
    teams = set(kp["team_ids"])
    strangers = [
        u
        for u in sim._account_users(window["account_id"])
        if u["id"] not in kp["user_ids"] and not teams & set(u.get("team_ids", []))
    ]
    if not strangers:
        return None
    message = f"keypair {kp['alias']} is limited to its users and teams"
    return Plan(kp, sim.rng.choice(strangers), (SignFailure.NOT_ASSIGNED, 403, message))


def _missing_factor(sim: ActivitySimulator, release_id: str | None = None) -> Plan | None:
    """A window signer whose tool sent no client authentication certificate."""
    from stm_tui.emulator.context import SIGN_MFA_MESSAGE

    found = _window_keypair(sim)
    if found is None:
        return None
    kp, window = found
    user = sim.state.db.get("users", sim.rng.choice(window["signer_ids"]))
    if user is None:
        return None
    return Plan(kp, user, (SignFailure.MISSING_SECOND_FACTOR, 403, SIGN_MFA_MESSAGE))


_FAILURE_PLANS = {
    SignFailure.NOT_A_RELEASE_SIGNER: _not_a_signer,
    SignFailure.OUTSIDE_RELEASE_WINDOW: _outside_window,
    SignFailure.NOT_ASSIGNED: _not_assigned,
    SignFailure.MISSING_SECOND_FACTOR: _missing_factor,
}
