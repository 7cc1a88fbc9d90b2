"""The client's address is the one it connects from unless a trusted proxy says otherwise
(issue 19, item 9): with the defaults, a client that sets X-Forwarded-For cannot escape the
per-address sign-in limit of a real `sayso api` process."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError

from core.config import Settings
from tests.api_process import ApiProcess

TRIES = 6  # the per-address limit is 4 a minute with 1 try per email a minute


def _sign_in_from_many_addresses(server: ApiProcess) -> list[int]:
    """Each try a new email (so the per-email limit never bites) and a new forwarded address."""
    return [
        httpx.post(
            f"{server.url}/auth/token",
            json={"email": f"guess{n}@council.example", "password": "not the password"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
            timeout=30,
        ).status_code
        for n in range(TRIES)
    ]


@pytest.fixture
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ApiProcess]:
    process = ApiProcess(
        tmp_path_factory.mktemp("proxies"), login_attempts_per_minute="1", **request.param
    )
    try:
        process.wait_until_up()
        yield process
    finally:
        process.stop()


@pytest.mark.parametrize("server", [{}], indirect=True)
def test_by_default_x_forwarded_for_does_not_escape_the_limit(server: ApiProcess) -> None:
    assert _sign_in_from_many_addresses(server)[4:] == [429, 429]


@pytest.mark.parametrize("server", [{"trusted_proxies": "127.0.0.1"}], indirect=True)
def test_a_trusted_proxy_names_the_client(server: ApiProcess) -> None:
    assert _sign_in_from_many_addresses(server) == [401] * TRIES


def test_a_proxy_that_is_not_an_address_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(_env_file=None, trusted_proxies="10.0.0.5, proxy.local")  # type: ignore[call-arg]
    assert Settings(_env_file=None, trusted_proxies="10.0.0.5, 172.16.0.0/12").proxies == [  # type: ignore[call-arg]
        "10.0.0.5",
        "172.16.0.0/12",
    ]
