"""Keep registered secrets out of log output.

Every secret the app resolves is registered here; a log-record factory rewrites each record's
message (and a handler filter its formatted traceback) so the secret, and its base64 form,
show as `***`. httpx logs whole URLs at INFO, so its loggers are held at WARNING.
"""

from __future__ import annotations

import base64
import logging
import threading
from typing import Any

from pydantic import SecretStr

MASK = "***"
_MIN_LEN = 4  # shorter values would mask ordinary words

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_installed = False


def register_secret(value: str | SecretStr | None) -> None:
    global _secrets
    if value is None:
        return
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if len(raw) < _MIN_LEN:
        return
    forms = {raw, base64.b64encode(raw.encode()).decode("ascii")}
    with _lock:
        _secrets = _secrets | forms


def redact(text: str) -> str:
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _redact_record(record: logging.LogRecord) -> None:
    if not _secrets:
        return
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep the raw text, still redacted
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None


class RedactingFilter(logging.Filter):
    """Handler filter: also masks the formatted traceback attached to a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        if record.exc_info and _secrets:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(handler: logging.Handler | None = None) -> None:
    """Redact every log record created from now on; idempotent. Pass a handler (a log file,
    say) to also mask tracebacks formatted by it."""
    global _installed
    if handler is not None:
        handler.addFilter(RedactingFilter())
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
