"""aiogram's I18n as a core Translator for one locale."""

from __future__ import annotations

from aiogram.utils.i18n import I18n


class AiogramTranslator:
    def __init__(self, i18n: I18n, locale: str) -> None:
        self.i18n, self.locale = i18n, locale

    def gettext(self, message: str) -> str:
        return self.i18n.gettext(message, locale=self.locale)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.i18n.gettext(singular, plural, n, locale=self.locale)
