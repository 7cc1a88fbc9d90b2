"""One normalisation for the safeguarding lexicon and for every message, so they meet halfway.

Letters lose accents and case; Arabic and Persian letter variants become one form; Ukrainian,
Russian and Welsh look-alikes merge; digits inside words become letters ("k1ll" -> "kill");
runs of a repeated letter become one ("diiiie" -> "die", "kill" -> "kil"); common text-speak
becomes words ("wanna" -> "want to"). Emoji are tokens of their own. The result is a list of
tokens. Everything here is linear in the length of the text.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that are the same letter to a child typing fast, on whatever keyboard they have.
_LETTERS = {
    # Arabic: alef forms, ya / alef maqsura, ta marbuta, hamza seats; Persian ye and kaf.
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ی": "ي",
    "ې": "ي",
    "ئ": "ي",
    "ة": "ه",
    "ۀ": "ه",
    "ە": "ه",
    "ؤ": "و",
    "ك": "ک",
    # Polish l with stroke has no decomposition.
    "ł": "l",
    # Ukrainian and Russian spellings of the same sounds, and Latin look-alikes.
    "і": "и",
    "ї": "и",
    "й": "и",
    "ы": "и",
    "є": "е",
    "э": "е",
    "ё": "е",
    "ґ": "г",
    "ь": "",
    "ъ": "",
    # Joiners, selectors and marks that change nothing a reader sees.
    "\u0640": "",  # Arabic tatweel
    "\u200c": "",  # zero-width non-joiner (Persian half-space: "می‌خوام" == "میخوام")
    "\u200d": "",  # zero-width joiner (inside emoji sequences)
    "\ufe0f": "",
    "\ufe0e": "",
    # Apostrophes vanish, so "don't" == "dont" and Ukrainian "б'є" == "бє".
    "'": "",
    "’": "",
    "‘": "",
    "ʼ": "",
    "`": "",
    "´": "",
    "ʹ": "",
}
_LETTERS.update({chr(0x1F3FB + i): "" for i in range(5)})  # skin tones
_LETTERS.update({chr(0x0660 + i): str(i) for i in range(10)})  # Arabic-Indic digits
_LETTERS.update({chr(0x06F0 + i): str(i) for i in range(10)})  # Persian digits
_TABLE = str.maketrans(_LETTERS)

# Digits and symbols inside words, as in "k1ll mys3lf", "d13", "h8", "$uicide".
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "ate"})
_SYMBOL_IN_WORD = re.compile(r"(?<=\w)[@$!|](?=\w)|(?<![\w])[@$](?=\w)")
_SYMBOL_LETTER = {"@": "a", "$": "s", "!": "i", "|": "l"}
_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")
_REPEATS = re.compile(r"([^\W\d_])\1+")  # a letter typed again and again
_MIXED = re.compile(r"\b(?=[^\W_]*\d)(?=[^\W_]*[^\W\d_])[^\W_]+\b")  # letters and digits

# Text-speak, written as typed; keys are normalised like everything else when the module loads.
_SPEAK = {
    "u": "you",
    "ya": "you",
    "yu": "you",
    "ur": "your",
    "yr": "your",
    "r": "are",
    "n": "and",
    "2": "to",
    "4": "for",
    "wanna": "want to",
    "wana": "want to",
    "wanted2": "wanted to",
    "gonna": "going to",
    "gunna": "going to",
    "gna": "going to",
    "gotta": "got to",
    "ima": "i am going to",
    "imma": "i am going to",
    "ama": "i am going to",
    "im": "i am",
    "ive": "i have",
    "ill": "i will",
    "dont": "do not",
    "dnt": "do not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "didnt": "did not",
    "doesnt": "does not",
    "isnt": "is not",
    "aint": "is not",
    "hes": "he is",
    "shes": "she is",
    "theyre": "they are",
    "cos": "because",
    "coz": "because",
    "cuz": "because",
    "bc": "because",
    "bf": "boyfriend",
    "gf": "girlfriend",
    "bro": "brother",
    "sis": "sister",
    "stepdad": "step dad",
    "stepmum": "step mum",
    "stepmom": "step mum",
    "stepfather": "step father",
    "stepmother": "step mother",
    "stepbrother": "step brother",
    "stepsister": "step sister",
    "selfharm": "self harm",
    "selfharming": "self harming",
    "thx": "thanks",
    "pls": "please",
    "plz": "please",
}

# Persian writes the present-tense prefix "می" joined, half-spaced or spaced; join it.
_JOIN_NEXT = {"مي", "نمي"}


def _chars(text: str) -> str:
    """Case, compatibility forms, look-alike letters, then accents and Arabic marks away."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_TABLE)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Decomposing can uncover look-alikes (Ukrainian "ї" -> "і" + mark): map once more.
    return stripped.translate(_TABLE)


def _leet(match: re.Match[str]) -> str:
    return match.group().translate(_LEET)


def _raw_tokens(text: str) -> list[str]:
    text = _SYMBOL_IN_WORD.sub(lambda m: _SYMBOL_LETTER[m.group()], _chars(text))
    text = _REPEATS.sub(r"\1", _MIXED.sub(_leet, text))
    return [t for t in _TOKEN.findall(text) if t[0].isalnum() or unicodedata.category(t) == "So"]


def _speak_table() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for typed, words in _SPEAK.items():
        keys = _raw_tokens(typed)
        table[keys[0]] = _raw_tokens(words)
    return table


_SPEAK_TOKENS = _speak_table()


def tokens(text: str) -> list[str]:
    """The normalised tokens of a message or a lexicon phrase."""
    result: list[str] = []
    pending = ""
    for token in _raw_tokens(text):
        for word in _SPEAK_TOKENS.get(token, (token,)):
            if pending:
                word, pending = pending + word, ""
            if word in _JOIN_NEXT:
                pending = word
                continue
            result.append(word)
    if pending:
        result.append(pending)
    return result
