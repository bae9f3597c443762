"""Per-minute series, the bounded stream, and records built from hostile server data."""

from __future__ import annotations

from datetime import timedelta

from stm_tui.views.monitor.rates import OTHER, MinuteBuckets, RateBook
from stm_tui.views.monitor.records import Named, attempt_from, window_from
from stm_tui.views.monitor.stream import AttemptStream
from tests.unit.monitor._log import BOT, KP, KP2, SIGNER, T0, attempt

M = timedelta(minutes=1)


def test_series_is_the_current_minute_and_the_59_before_it() -> None:
    buckets = MinuteBuckets()
    buckets.add(T0 + timedelta(seconds=59))  # the 12:00 minute
    buckets.add(T0 - timedelta(seconds=1))  # 11:59
    buckets.add(T0 - 59 * M)  # 11:01: the oldest minute shown
    buckets.add(T0 - 60 * M)  # 11:00: one minute too old
    series = buckets.series(T0 + timedelta(seconds=30))
    assert len(series) == 60
    assert (series[0], series[-2], series[-1], sum(series)) == (1, 1, 1, 3)


def test_buckets_stay_bounded_over_days_of_minutes() -> None:
    buckets = MinuteBuckets()
    for minute in range(10_000):
        buckets.add(T0 + minute * M)
    assert len(buckets._counts) <= 3 * 60
    assert buckets.series(T0 + 9_999 * M) == [1] * 60


def test_rate_book_ranks_and_caps_series() -> None:
    book = RateBook(max_series=2)
    book.add(attempt(1, T0, keypair=KP, user=SIGNER))
    book.add(attempt(2, T0, keypair=KP, user=BOT))
    book.add(attempt(3, T0, keypair=KP2, user=BOT))
    book.add(attempt(4, T0, keypair=Named("kp-3", "third"), user=Named("u-3", "third")))
    # Busiest first; past the cap of two named series the rest share "(other)".
    assert [(s.label, s.total) for s in book.keypairs(T0)] == [
        ("desktop-installer-ev", 2), (OTHER, 1), ("desktop-driver-kit", 1)]
    assert [(s.label, s.total) for s in book.signers(T0)] == [
        ("ci-release-bot", 2), (OTHER, 1), ("Sam Signer", 1)]
    assert book.overall.total(T0) == 4


def test_stream_is_newest_first_and_bounded() -> None:
    stream = AttemptStream(limit=3)
    stream.add([attempt(1, T0), attempt(2, T0 + M), attempt(3, T0 + 3 * M)])
    stream.add([attempt(4, T0 + 2 * M)])  # arrives late, sorts in by its time
    assert [a.id for a in stream] == ["sig-000003", "sig-000004", "sig-000002"]
    stream.add([attempt(5, T0 - M)])  # older than all held in a full stream: dropped
    assert [a.id for a in stream] == ["sig-000003", "sig-000004", "sig-000002"]
    version = stream.version
    stream.add([])
    assert stream.version == version  # nothing changed, nothing to redraw


def test_records_clean_and_bound_hostile_text() -> None:
    raw = {
        "id": "s1",
        "created_on": "2026-11-27T12:00:00Z",
        "status": "FAILED",
        "failure_reason": "NOT_A_RELEASE_SIGNER",
        "failure_message": "no \x1b]52;c;AAAA\x07 way " + "x" * 5000,
        "keypair": {"id": "kp-1", "alias": "evil\u202eexe.gpj"},
        "user": {"id": "u-1", "name": "[bold]mallory[/bold]\x1b[2J"},
        "release": None,
        "sig_alg": "SHA256withRSA",
        "hash": "A" * 10_000,
        "client_ip": "10.0.0.1\r\n",
    }
    found = attempt_from(raw)
    assert found is not None
    message = found.failure_message or ""
    assert message.startswith("no ␛]52;c;AAAA␇ way ") and len(message) < 600
    assert found.keypair_alias == "evil<U+202E>exe.gpj"
    assert found.user_name == "[bold]mallory[/bold]␛[2J"  # data, not markup (the UI uses Text)
    assert len(found.hash) < 300 and found.client_ip == "10.0.0.1␍ "
    assert found.created_on == T0 and found.release_id is None
    assert attempt_from({"status": "SUCCESS"}) is None  # no id: not an entry


def test_window_from_a_model_or_a_mapping() -> None:
    raw = {"id": "w", "name": "r", "status": "open", "max_signatures": -3,
           "signature_count": True, "keypairs": [{"id": "k", "alias": "a"}, {"alias": "no id"}],
           "users": [{"id": "u", "name": "n"}], "start_time": "bad", "end_time": None}
    w = window_from(raw)
    assert w is not None
    assert (w.status, w.max_signatures, w.signature_count) == ("OPEN", None, None)
    assert [k.id for k in w.keypairs] == ["k"] and w.start_time is None
