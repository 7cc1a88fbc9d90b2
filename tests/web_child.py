"""A young person in the web chat, for tests: opens their link, taps and types over HTTP, as
the page does."""

from __future__ import annotations

from typing import Any

import httpx

from api.app import create_app
from api.runtime import Runtime

GUARD = {"X-Sayso": "1"}


class WebChild:
    def __init__(self, runtime: Runtime, language: str = "en-GB,en;q=0.8") -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(runtime)),
            base_url="http://sayso.test",
            headers={"Accept-Language": language},
        )
        self.turns: list[dict[str, Any]] = []
        self.id: int | None = None  # the child's id, once known

    async def __aenter__(self) -> WebChild:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.aclose()

    # -- what the child does ----------------------------------------------------------------

    async def join(self, link: str) -> httpx.Response:
        """Open the link and press Start: the page's form posts the token from after the #."""
        url = httpx.URL(link)
        page = await self.client.get(url.path)
        assert page.status_code == 200, page.text
        return await self.client.post(url.path, data={"token": url.fragment})

    async def open(self) -> dict[str, Any]:
        return await self._post("/chat/api/open", None)

    async def waiting(self) -> dict[str, Any]:
        """What the page asks for when the child comes back to it."""
        return await self._post("/chat/api/waiting", None)

    async def say(self, text: str) -> dict[str, Any]:
        return await self._post("/chat/api/say", {"text": text})

    async def command(self, name: str) -> dict[str, Any]:
        return await self._post("/chat/api/command", {"name": name})

    async def tap(self, label: str) -> dict[str, Any]:
        """Tap the newest button whose label contains `label`."""
        for turn in reversed(self.turns):
            for message in reversed(turn["messages"]):
                for row in message["buttons"]:
                    for button in row:
                        if label in button["label"]:
                            body = {"run": message["run"], "action": button["action"]}
                            return await self._post("/chat/api/tap", body)
        raise AssertionError(f"no button {label!r}; last said: {self.said()!r}")

    async def _post(self, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        response = await self.client.post(path, json=body, headers=GUARD)
        assert response.status_code == 200, response.text
        turn: dict[str, Any] = response.json()
        self.turns.append(turn)
        return turn

    # -- what the child sees ------------------------------------------------------------------

    def said(self) -> str:
        """Everything the last turn showed, one message a line."""
        return "\n".join(m["text"] for m in self.turns[-1]["messages"]) if self.turns else ""

    def buttons(self) -> list[str]:
        """The labels of the newest message with buttons."""
        for message in reversed(self.turns[-1]["messages"] if self.turns else []):
            if message["buttons"]:
                return [b["label"] for row in message["buttons"] for b in row]
        return []

    async def read_on_and_skip_until(self, words: str, limit: int = 60) -> None:
        """Next through information, Skip through questions, until `words` appear."""
        for _ in range(limit):
            if words in self.said():
                return
            await self.tap("▶️ Next" if "▶️ Next" in self.buttons() else "⏭️ Skip")
        raise AssertionError(f"never reached {words!r}; last said: {self.said()!r}")
