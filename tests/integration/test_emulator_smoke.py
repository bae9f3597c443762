import httpx

from stm_tui.emulator.server import EmulatorServer


def test_the_lead_can_read_itself_and_list_keypairs(emulator: EmulatorServer) -> None:
    key = emulator.credentials["users"]["lead"]["api_key"]
    with httpx.Client(base_url=emulator.url, headers={"x-api-key": key}) as client:
        me = client.get("/account/api/v1/user/me").json()
        assert me["name"] == "Dana Whitfield"
        page = client.get("/signingmanager/api/v1/keypairs").json()
        assert page["limit"] == 20 and page["total"] >= 30
