"""The API docs come from the service itself (issue 19, item 10): /docs and /redoc reference
no other origin, their scripts and styles load from here, and their content security policy
allows nothing from elsewhere (the browser test shows Swagger UI drawing the operations)."""

from __future__ import annotations

import re

import httpx

from api.runtime import Runtime
from tests.staff import api_client

ADDRESSES = re.compile(r"""(?:src|href|spec-url)=["']([^"']+)["']|url: ?'([^']+)'""")


async def _page(client: httpx.AsyncClient, path: str) -> tuple[str, list[str]]:
    response = await client.get(path)
    assert response.status_code == 200
    addresses = [a or b for a, b in ADDRESSES.findall(response.text)]
    return response.text, addresses


async def test_the_docs_reference_no_other_origin_and_their_assets_load(
    runtime: Runtime,
) -> None:
    async with api_client(runtime) as client:
        for path, least in (("/docs", 4), ("/redoc", 3)):
            page, addresses = await _page(client, path)
            assert "http" not in page and "//" not in "".join(addresses), path
            assert len(addresses) >= least, addresses
            for address in addresses:
                assert address.startswith("/") and not address.startswith("//"), address
                loaded = await client.get(address)
                assert loaded.status_code == 200, address
                assert loaded.content, address


async def test_the_docs_policy_allows_nothing_from_elsewhere(runtime: Runtime) -> None:
    async with api_client(runtime) as client:
        for path in ("/docs", "/redoc"):
            policy = (await client.get(path)).headers["content-security-policy"]
            assert "http" not in policy and "*" not in policy, policy
            scripts = re.search(r"script-src ([^;]*)", policy)
            assert scripts and "unsafe" not in scripts.group(1), policy
        docs = (await client.get("/docs")).headers["content-security-policy"]
        assert "style-src 'self';" in docs  # as strict as the web chat's
