"""The Telegram adapter: turns updates into core calls and core messages into Telegram ones."""
