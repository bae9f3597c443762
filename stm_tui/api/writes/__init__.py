"""Writes as values: request models, the builders that turn them into `WriteCall`s."""

from stm_tui.api.writes.call import REDACTED, Target, Tier, WriteCall
from stm_tui.api.writes.validation import RequestModel, check

__all__ = ["REDACTED", "RequestModel", "Target", "Tier", "WriteCall", "check"]
