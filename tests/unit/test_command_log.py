"""The command log: bounded, no secrets, per-endpoint stats, "the service or me?"."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from stm_tui.api.command_log import (
    DEFAULT_CAPACITY,
    CallRecord,
    CommandLog,
    endpoint_path,
    percentile,
    short_path,
)

STM = "/signingmanager/api/v1"
KP_ID = "6f1a8c52-0b7e-4f3e-9a1d-5c2b8e7d4a01"
T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_the_log_keeps_the_newest_records_up_to_its_capacity() -> None:
    assert CommandLog().capacity == DEFAULT_CAPACITY == 2000
    log = CommandLog(capacity=5, clock=Clock())
    for number in range(12):
        log.record("GET", f"{STM}/keypairs/{number}", status=200, latency_ms=number)
    assert len(log) == 5
    assert log.total == 12 and log.dropped == 7
    held = [f"{STM}/keypairs/{n}" for n in (7, 8, 9, 10, 11)]
    assert [r.path for r in log] == held
    assert [r.path for r in log.newest_first()] == held[::-1]


def test_a_full_session_of_calls_stays_at_the_default_bound() -> None:
    log = CommandLog()
    for _ in range(5000):
        log.record("GET", f"{STM}/certificates", status=200)
    assert len(log) == 2000 and log.total == 5000


def test_records_hold_no_body_header_or_query_value() -> None:
    names = {f.name for f in dataclasses.fields(CallRecord)}
    assert names == {
        "at",
        "method",
        "path",
        "status",
        "error",
        "latency_ms",
        "retries",
        "query_keys",
        "request_id",
    }
    log = CommandLog(clock=Clock())
    record = log.record(
        "get",
        f"https://stm.example/{STM}/keypairs?alias=canary-alias-7731&limit=5#frag",
        query={"token": "canary-token-7731", "limit": "5"},
        status=200,
    )
    assert record.method == "GET"
    assert record.path == f"/{STM}/keypairs"
    assert record.query_keys == ("alias", "limit", "token")
    text = repr(record) + json.dumps(record.as_dict()) + repr(log.stats()) + log.verdict()
    assert "canary" not in text
    assert "frag" not in text


def test_ids_are_folded_so_stats_group_by_endpoint() -> None:
    assert endpoint_path(f"{STM}/keypairs/{KP_ID}/suspend") == f"{STM}/keypairs/{{id}}/suspend"
    assert endpoint_path(f"{STM}/keypairs/..%2Fx") == f"{STM}/keypairs/{{id}}"
    assert endpoint_path(f"{STM}/release-windows") == f"{STM}/release-windows"
    assert short_path(f"{STM}/keypairs") == "/keypairs"
    assert short_path("/account/api/v1/user/me") == "am:/user/me"


def test_per_endpoint_stats_count_errors_and_latency_percentiles() -> None:
    log = CommandLog(clock=Clock())
    for ms in range(1, 101):  # 1..100 ms
        log.record("GET", f"{STM}/keypairs/{KP_ID}", status=200, latency_ms=ms)
    log.record("GET", f"{STM}/keypairs/{KP_ID}", status=503, latency_ms=5)
    log.record("GET", f"{STM}/keypairs/{KP_ID}", error="offline", latency_ms=2)
    log.record("POST", f"{STM}/keypairs", status=409, latency_ms=30)
    stats = {s.endpoint: s for s in log.stats()}
    one = stats[f"GET {STM}/keypairs/{{id}}"]
    assert (one.count, one.errors, one.service_errors) == (102, 2, 2)
    assert one.last_outcome == "offline"
    assert percentile([float(n) for n in range(1, 101)], 50) == 50
    assert percentile([float(n) for n in range(1, 101)], 95) == 95
    # 102 latencies (1..100 plus the failures' 5 and 2): nearest rank 51 and 97.
    assert one.p50_ms == 49 and one.p95_ms == 95
    create = stats[f"POST {STM}/keypairs"]
    assert (create.count, create.errors, create.service_errors) == (1, 1, 0)
    # The endpoint the service is failing on comes first.
    assert log.stats()[0].endpoint == f"GET {STM}/keypairs/{{id}}"


def test_the_verdict_tells_the_service_failing_from_the_caller_refused() -> None:
    log = CommandLog(clock=Clock())
    assert log.verdict() == "no calls yet"
    for _ in range(10):
        log.record("GET", f"{STM}/keypairs", status=200, latency_ms=40)
    assert log.verdict().startswith("the service is answering: 10 recent calls, p95 40 ms")
    for _ in range(6):
        log.record("GET", f"{STM}/keypairs", status=503)
    verdict = log.verdict()
    assert verdict.startswith("the service is failing: 6 of the last 16 calls")
    assert verdict.endswith("(last: 503 on GET /keypairs)")

    refused = CommandLog(clock=Clock())
    for _ in range(4):
        refused.record("GET", f"{STM}/keypairs", status=403)
    assert refused.verdict().startswith("the service answers but refuses 4 of the last 4 calls")
    assert "403" in refused.verdict()


def test_subscribers_see_each_record_and_a_broken_one_breaks_nothing() -> None:
    log = CommandLog(clock=Clock())
    seen: list[CallRecord] = []

    def broken(record: CallRecord) -> None:
        raise RuntimeError("view gone")

    log.subscribe(broken)
    unsubscribe = log.subscribe(seen.append)
    first = log.record("GET", f"{STM}/keypairs", status=200)
    assert seen == [first]
    unsubscribe()
    log.record("GET", f"{STM}/keypairs", status=200)
    assert seen == [first]
    assert len(log) == 2


def test_a_log_needs_room_for_one_record() -> None:
    with pytest.raises(ValueError):
        CommandLog(capacity=0)
