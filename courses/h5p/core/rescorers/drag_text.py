"""H5P.DragText ("Drag the Words").

Content: `textField` is plain text in which each drop zone is a word between
asterisks, `*blue*`, optionally followed by a tip (`*blue:a colour*`) and
feedback for a right (`\\+...`) or wrong (`\\-...`) drop. `distractors` (1.10+)
holds extra `*words*` that belong nowhere.

Response: for each drop zone in text order, the text of the word dropped on it
("" when empty), joined by "[,]": "blue[,]red[,]".

Scoring: 1 point per drop zone holding its own word (exact text). Max = number of
drop zones. A response naming a word the exercise does not offer (or one word
more often than it is offered) cannot come from the player and is refused.

Source: h5p/h5p-drag-text, src/scripts/parse-text.js (`parseText`: split on
/(\\*.*?\\*)/; `lex`: tip, feedback and text of a drop zone),
src/scripts/drag-text.js (`getXAPIResponse`: droppables' contained draggable
text joined by '[,]'; `calculateScore`; distractors), droppable.js (`isCorrect`:
draggable text === drop zone text). Checked against the sample's 1.8 bundle.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from courses.h5p.core.rescorers._text import js_trim, js_trim_end
from courses.h5p.core.rescoring import NotRescorable, Rescorer, Score, split_response

_PARTS = re.compile(r"(\*.*?\*)")
_NEWLINES = re.compile(r"\r\n|\n|\r")
_TIP = re.compile(r":[^\\*]+")
_RIGHT = re.compile(r"\\\+[^\\*:]+")
_WRONG = re.compile(r"\\-[^\\*:]+")


def _parts(text: str) -> list[str]:
    # The player turns line breaks into <br/> before parsing; "." in the split
    # pattern then never meets a line break, as in JavaScript.
    return [part for part in _PARTS.split(_NEWLINES.sub("<br/>", text)) if part]


def _is_answer(part: str) -> bool:
    return part.startswith("*") and part.endswith("*")


def _word(part: str) -> str:
    """The draggable text of one `*...*` part (the player's `lex().text`)."""
    text = part[1:] if part.startswith("*") else part
    text = text[:-1] if text.endswith("*") else text
    for pattern in (_TIP, _RIGHT, _WRONG):
        found = pattern.findall(part)
        if found:
            # JavaScript's replace() with the match array turns it into one
            # comma-joined string; with one match that is the match itself.
            text = text.replace(",".join(found), "", 1)
    return js_trim_end(text)


def drop_zones(params: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(text of each drop zone in order, text of each distractor)."""
    text = params.get("textField")
    if not isinstance(text, str):
        raise NotRescorable("textField is not text")
    zones = [_word(part) for part in _parts(text) if _is_answer(part)]
    distractors_text = params.get("distractors", "")
    if not isinstance(distractors_text, str):
        raise NotRescorable("distractors is not text")
    distractors = [
        _word(part)
        for part in _parts(distractors_text)
        if js_trim(part) and _is_answer(part)
    ]
    return zones, distractors


class DragTextRescorer(Rescorer):
    """One point per drop zone that holds its own word."""

    machine_name = "H5P.DragText"

    def rescore(
        self,
        params: Mapping[str, Any],
        response: str | None,
        children: Mapping[str, str],
    ) -> Score:
        """See the module docstring."""
        zones, distractors = drop_zones(params)
        if not zones:
            raise NotRescorable("no drop zones")
        dropped = split_response(response)
        if dropped is None:
            dropped = [""] * len(zones)
        if len(dropped) != len(zones):
            raise NotRescorable(f"{len(dropped)} items for {len(zones)} drop zones")
        offered = Counter(zones + distractors)
        used = Counter(word for word in dropped if word)
        if any(count > offered[word] for word, count in used.items()):
            raise NotRescorable("the response uses a word the exercise does not offer")
        right = sum(
            1
            for word, zone in zip(dropped, zones, strict=True)
            if word and word == zone
        )
        return Score.of(right, len(zones))
