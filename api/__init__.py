"""The HTTP side: admin API, Telegram webhook, and the `sayso` command that starts it all."""
