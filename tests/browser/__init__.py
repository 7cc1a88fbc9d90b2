"""Browser tests of the web chat and the staff preview (Playwright, Debian Chromium)."""
