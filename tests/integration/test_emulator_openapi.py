"""The emulator's OpenAPI document tells the truth: schemathesis, run against the live
emulator with the Lead's key, finds no answer the document does not describe (statuses,
content types, error bodies) and no schema-valid request refused as malformed.

Bounded for CI (STM_SCHEMATHESIS_EXAMPLES per operation, 5 by default); docs/emulator.md
has the command for a longer run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import frozen_clock

CONFIG = Path(__file__).with_name("schemathesis.toml")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,positive_data_acceptance"
)
EXAMPLES = os.environ.get("STM_SCHEMATHESIS_EXAMPLES", "5")


# A bounded run still takes a minute or more on two busy cores: the subprocess has its own 600 s
# limit, the test the same (the suite's default 120 s would cut a correct run short).
@pytest.mark.timeout(600)
def test_schemathesis_finds_the_document_truthful(tmp_path: Path) -> None:
    with EmulatorServer(data_dir=tmp_path / "emu", clock=frozen_clock) as emu:
        env = dict(os.environ, STM_EMULATOR_API_KEY=emu.credentials["users"]["lead"]["api_key"])
        st = Path(sys.executable).with_name("st")
        result = subprocess.run(
            [
                str(st),
                "--config-file",
                str(CONFIG),
                "run",
                f"{emu.url}/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                EXAMPLES,
                "--workers",
                "1",  # the coverage phase is not thread-safe in this schemathesis
                "--seed",
                "1",
                "--no-color",
                "--generation-database",
                "none",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    key = env["STM_EMULATOR_API_KEY"]
    report = (result.stdout + result.stderr).replace(key, "[key]")
    assert result.returncode == 0, report[-8000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", report)
    assert counts is not None and int(counts[1]) == int(counts[2]) > 1000, report[-2000:]


def test_the_document_declares_what_schemathesis_relies_on(emulator: EmulatorServer) -> None:
    spec = httpx.get(f"{emulator.url}/openapi.json").json()
    sign = spec["paths"]["/signingmanager/api/v1/keypairs/{keypair_id}/sign"]["post"]
    assert "422" in sign["responses"] and "400" in sign["responses"]
    assert sign["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StmError"
    }
    am = spec["paths"]["/account/api/v1/api-token"]["post"]["responses"]["409"]
    assert am["content"]["application/json"]["schema"]["$ref"].endswith("AccountManagerErrors")
    export = spec["paths"]["/signingmanager/api/v1/audit-log/export"]["get"]["responses"]["200"]
    assert set(export["content"]) == {"text/csv"}
    download = spec["paths"]["/signingmanager/api/v1/certificates/{certificate_id}/download"]
    assert set(download["get"]["responses"]["200"]["content"]) == {
        "application/x-pem-file",
        "application/pkix-cert",
    }
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    alias = spec["components"]["schemas"]["KeypairCreate"]["properties"]["alias"]
    assert alias["maxLength"] == 64 and alias["pattern"].startswith("^(?![0-9a-fA-F-]+$)")
