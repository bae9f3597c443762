"""`stm-tui doctor`: what is wrong with the connection to STM, one factor at a time.

Textual-free, so the command and the dashboard's start-failure screen show the same
diagnosis. `diagnose(profile, credentials)` returns a `Report` of `Finding`s in the order a
connection is built up (host, TLS, clock, API key, client certificate, both factors,
identity, expiries); `Report.exit_code()` is the command's exit status.
"""

from stm_tui.diagnose.findings import EXIT_CODES, Finding, Report
from stm_tui.diagnose.run import CHECK_IDS, diagnose

__all__ = ["CHECK_IDS", "EXIT_CODES", "Finding", "Report", "diagnose"]
