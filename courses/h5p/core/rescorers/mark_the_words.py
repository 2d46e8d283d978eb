"""H5P.MarkTheWords ("Mark the Words").

Content: `textField` is HTML; the words to mark are written between asterisks,
`*cat*`. The player splits every text node of that HTML into words (runs of
non-space characters), strips leading (["({⟨¿¡“"«„) and trailing (",….:;?!]})⟩»”)
punctuation, and makes each remaining word selectable. A word is an answer when
it starts with "*" and ends with "*" (or with "*" and one more character).

Response: the indexes of the selected words among all selectable words, joined
by "[,]": "3[,]7"; "" when nothing was selected.

Scoring: correct marks minus wrong marks, never below 0. Max = number of
answers; a text without answers is worth 1 point, earned by marking nothing.

Source: h5p/h5p-mark-the-words 1.11: scripts/mark-the-words.js
(`createHtmlForWords`, `addTaskTo`, `calculateScore`, `getMaxScore`),
scripts/word.js (`checkForAnswer`, `removeDoubleAsterisks`),
scripts/xAPI-generator.js (`getUserSelections`: indexes of selected
selectableWords joined by '[,]').
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from courses.h5p.core.rescorers._text import JS_SPACE_CLASS, indexes, js_trim
from courses.h5p.core.rescoring import NotRescorable, Rescorer, Score, split_response

_ENTRY = re.compile(rf" \*[^* ]+\* |[^{JS_SPACE_CLASS}]+")
_PREFIX = re.compile(r"^[\[({⟨¿¡“\"«„]+")  # the player's own list
_SUFFIX = re.compile(r"[\",….:;?!\])}⟩»”]+\Z")  # the player's own list
_NEWLINES = re.compile(r"&nbsp;|\r\n|\n|\r")


class _TextNodes(HTMLParser):
    """Collect the text nodes of an HTML fragment in document order.

    Consecutive character data (HTMLParser may deliver a stray "<" separately)
    is merged until the next tag, as a browser's DOM would hold it. Script
    content is dropped, as jQuery.parseHTML drops scripts.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._pending: list[str] = []
        self._in_script = 0

    def _flush(self) -> None:
        if self._pending:
            self.nodes.append("".join(self._pending))
            self._pending = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        if tag == "script":
            self._in_script += 1

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if tag == "script" and self._in_script:
            self._in_script -= 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()

    def handle_comment(self, data: str) -> None:
        self._flush()

    def handle_data(self, data: str) -> None:
        if not self._in_script:
            self._pending.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _strip_double_asterisks(word: str) -> str:
    """The player's removeDoubleAsterisks(), quirk included: only the last "**"
    found is removed, because each pass starts again from the original word."""
    result = word
    index = word.find("*")
    while index != -1:
        if word.find("*", index + 1) == index + 1:
            result = word[:index] + word[index + 2 :]
        index = word.find("*", index + 1)
    return result


def _is_answer(word: str) -> bool:
    candidate = _strip_double_asterisks(word)
    if candidate.startswith("*") and len(candidate) > 2:
        return candidate[-1] == "*" or candidate[-2] == "*"
    return False


def selectable_words(text: str) -> list[tuple[str, bool]]:
    """(word, is it an answer) for every selectable word, in index order."""
    parser = _TextNodes()
    parser.feed(text)
    parser.close()
    words = []
    for node in parser.nodes:
        for match in _ENTRY.finditer(_NEWLINES.sub(" ", node)):
            entry = js_trim(match.group(0))
            prefix = _PREFIX.match(entry)
            suffix = _SUFFIX.search(entry)
            start = len(prefix.group(0)) if prefix else 0
            end = len(entry) - (len(suffix.group(0)) if suffix else 0)
            word = entry[start:end] if end > start else ""
            if word:
                words.append((word, _is_answer(word)))
    return words


class MarkTheWordsRescorer(Rescorer):
    """Correct marks minus wrong marks, never below zero."""

    machine_name = "H5P.MarkTheWords"

    def rescore(
        self,
        params: Mapping[str, Any],
        response: str | None,
        children: Mapping[str, str],
    ) -> Score:
        """See the module docstring."""
        text = params.get("textField")
        if not isinstance(text, str):
            raise NotRescorable("textField is not text")
        words = selectable_words(text)
        if not words:
            raise NotRescorable("no selectable words")
        answers = {i for i, (_word, is_answer) in enumerate(words) if is_answer}
        selected = set(indexes(split_response(response) or [], len(words)))
        correct = len(selected & answers)
        wrong = len(selected - answers)
        if not answers:
            # "Blank is correct": one point for leaving every word unmarked.
            return Score.of(1 if wrong == 0 else 0, 1)
        return Score.of(max(correct - wrong, 0), len(answers))
