"""A Babel extractor for `content/*.yaml`: every child-facing string, with translator notes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml

from core.content import Lines, to_python

CHILD_FACING = ("title", "title_easy", "text", "easy", "label")
EASY_NOTE = "Easy-read version: very short, simple words."


def extract_content(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    node = yaml.compose(fileobj.read().decode("utf-8"))
    if node is None:
        return
    lines: Lines = {}
    data = to_python(node, (), lines)
    yield from _walk(data, (), lines)


def _walk(
    data: Any, path: tuple[Any, ...], lines: Lines
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield from _walk(item, (*path, index), lines)
        return
    if not isinstance(data, dict):
        return
    note = data.get("note")
    for key in CHILD_FACING:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            comments = [note] if isinstance(note, str) else []
            if key.endswith("easy"):
                comments.append(EASY_NOTE)
            yield lines.get((*path, key), 1), None, value, comments
    for key, value in data.items():
        if isinstance(value, dict | list):
            yield from _walk(value, (*path, key), lines)
