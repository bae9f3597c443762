from click.testing import CliRunner

from stm_tui import __version__
from stm_tui.cli import cli


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_every_subcommand_without_importing_them() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("demo", "emulator", "get", "login", "config"):
        assert name in result.output
