"""A keyring backend that hangs in `get_password`, as a Secret Service with a locked
collection does over SSH (an unlock prompt nobody can answer). Selected in a child process
with `PYTHON_KEYRING_BACKEND=tests.hanging_keyring.HangingKeyring`; it touches the file
named by `STM_TEST_KEYRING_MARK` when a lookup begins, so a test can tell it was asked."""

from __future__ import annotations

import os
import time
from pathlib import Path

from keyring.backend import KeyringBackend


class HangingKeyring(KeyringBackend):
    priority = 10

    def get_password(self, service: str, username: str) -> str | None:
        mark = os.environ.get("STM_TEST_KEYRING_MARK")
        if mark:
            Path(mark).touch()
        while True:
            time.sleep(3600)

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("hanging keyring: not stored")

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError("hanging keyring: nothing to delete")
