"""The setup checklist, a profile form and the CertCentral screen, from the demo:
`python screenshots/generate_setup.py` (new files only; `generate.py` draws the areas).

Same fixed clock and demo seed as `generate.py`, so every run draws the same pictures.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import shoot, shoot_all

# (file name, terminal size, keys pressed once the data has loaded)
SHOTS: list[tuple[str, tuple[int, int], Sequence[str]]] = [
    ("setup-checklist", (120, 40), ("exclamation_mark",)),
    ("setup-checklist-80x24", (80, 24), ("exclamation_mark",)),
    ("keypair-profile-form", (120, 40), ("W", "y", "K", "n", *"ci-release-keys")),
    ("keypair-profile-form-80x24", (80, 24), ("W", "y", "K", "n", *"ci-release-keys")),
    ("certcentral", (120, 40), ("Z",)),
]


def main() -> int:
    return shoot_all(SHOTS, shoot)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    sys.exit(main())
