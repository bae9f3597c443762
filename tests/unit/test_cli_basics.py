import json
import subprocess
import sys

from click.testing import CliRunner

from stm_tui import __version__
from stm_tui.cli import cli

# What `stm-tui --help` must not pay for: the UI, the HTTP client, the emulator's server and
# the sub-commands' own modules (each is imported only when it runs).
HEAVY = (
    "textual",
    "httpx",
    "fastapi",
    "uvicorn",
    "stm_tui.tui",
    "stm_tui.commands.demo",
    "stm_tui.commands.emulator",
    "stm_tui.commands.get",
    "stm_tui.commands.login",
    "stm_tui.commands.config_cmd",
)

_HELP_IN_A_FRESH_INTERPRETER = """
import json, sys
from click.testing import CliRunner
from stm_tui.cli import cli
result = CliRunner().invoke(cli, ["--help"])
print(json.dumps({"code": result.exit_code, "output": result.output,
                  "modules": sorted(sys.modules)}))
"""


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_every_subcommand_without_importing_them() -> None:
    # A fresh interpreter: this test process has imported half the project already.
    ran = subprocess.run(
        [sys.executable, "-c", _HELP_IN_A_FRESH_INTERPRETER],
        capture_output=True, text=True, timeout=60, check=True,
    )
    report = json.loads(ran.stdout)
    assert report["code"] == 0
    for name in ("demo", "emulator", "get", "login", "config"):
        assert name in report["output"]
    loaded = set(report["modules"])
    assert "stm_tui.cli" in loaded  # the probe did import what it measures
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]
