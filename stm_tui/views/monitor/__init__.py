"""The live release monitor, without Textual: records, model, rules, feed, recordings.

- `records`: the monitor's own records of attempts, windows and scans (cleaned, bounded);
- `model.MonitorModel`: per-window counters, rates, stream, scan state and alerts;
- `alerts.AlertConfig`: thresholds per profile; `rules`: when an alert fires;
- `feed.MonitorFeed`: polls a `MonitorSource` (`client_source.ClientSource` over STMClient);
- `recording`: `--record` files and their `Replay`;
- `budget`, `report`: the signature budget and `stm-tui release report`.
"""
