"""The web chat for children who cannot use Telegram, and the staff preview (HTTP side)."""
