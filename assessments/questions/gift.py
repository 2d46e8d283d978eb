"""Moodle's GIFT text format: read it into `ParsedQuestion`s and write it back.

What is read (Moodle's GIFT documentation): `//` comment lines (with Moodle's
`// [id:…]` and `// [tag:…]` markers for a question's ID number and tags),
`::title::`, `[html]`/`[plain]`/`[markdown]`/`[moodle]` text formats, the escapes
`\\~ \\= \\# \\{ \\} \\: \\\\ \\n`, multiple choice (`=` right, `~` wrong, `~%50%`
weights, `#` feedback), multiple response (weighted `~` answers with no `=`),
TRUE/FALSE/T/F with feedback for a wrong and a right answer, short answer (only
`=` answers), matching (`=prompt -> answer`; `= -> extra` for a distractor),
numeric (`{#3.14:0.01}`, `{#1..5}`, several `=` answers with weights), essay `{}`,
general feedback after `####`, missing-word questions (text on both sides of the
braces), `$CATEGORY:` and blank lines between questions. A description (text
without braces) has nothing to answer and is skipped. GIFT has no ordering
questions, points, ID numbers for choices or shuffle switch: choices get ids a,
b, c… and shuffle, points are 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from assessments.questions.builtin import parse_number
from assessments.questions.parsed import (
    ParsedQuestion,
    ParseResult,
    QuestionProblem,
    definition_problems,
    letter_id,
    name_from_text,
)

# Escaped special characters become private-use characters while a question is
# taken apart, so the splitting below never sees them; they are restored after.
_SPECIAL = "\\~=#{}:"
_HIDE = {char: chr(0xE000 + n) for n, char in enumerate(_SPECIAL)}
_SHOW = {hidden: char for char, hidden in _HIDE.items()}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:[.,]\d+)?)%")
_FORMAT = re.compile(r"^\[(html|plain|markdown|moodle)\]", re.IGNORECASE)
_MARKER = re.compile(r"\[(id|tag):([^\]]*)\]")
_TRUE = {"T", "TRUE"}
_FALSE = {"F", "FALSE"}
_BLANK = "_____"


class _FormatError(Exception):
    """A question's text breaks the GIFT syntax (message for the trainer)."""


def _hide_escapes(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        if char == "n":
            return "\n"
        return _HIDE.get(char, match.group(0))

    return _ESCAPE.sub(replace, text)


def _show(text: str) -> str:
    return "".join(_SHOW.get(char, char) for char in text).strip()


def _blocks(text: str) -> Iterable[list[tuple[int, str]]]:
    """Groups of (line number, line) separated by blank lines."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def parse_gift(text: str) -> ParseResult:
    """Every question of a GIFT file and every problem, each with its line."""
    result = ParseResult()
    text = text.lstrip("\ufeff")
    category = ""
    index = 0
    for block in _blocks(text):
        idnumber, tags, lines = "", [], []
        for number, line in block:
            if line.lstrip().startswith("//"):
                for key, value in _MARKER.findall(line):
                    if key == "id":
                        idnumber = value.strip()
                    elif value.strip():
                        tags.append(value.strip())
            else:
                lines.append((number, line))
        if lines and lines[0][1].lstrip().startswith("$CATEGORY:"):
            category = lines[0][1].split(":", 1)[1].strip()
            lines = lines[1:]
        if not lines:
            continue
        start = lines[0][0]
        source = "\n".join(line for _number, line in lines)
        try:
            question = _parse_question(_hide_escapes(source))
        except _FormatError as error:
            index += 1
            result.problems.append(
                QuestionProblem(index, start, _guess_name(source), [str(error)])
            )
            continue
        if question is None:  # a description: nothing to answer
            continue
        index += 1
        question.idnumber, question.tags = idnumber, tags
        question.category, question.line, question.number = category, start, index
        result.questions.append(question)
        if problems := definition_problems(question):
            result.problems.append(
                QuestionProblem(index, start, question.name, problems)
            )
    return result


def _guess_name(source: str) -> str:
    source = source.strip()
    if source.startswith("::") and "::" in source[2:]:
        return source[2:].split("::", 1)[0].strip()
    return name_from_text(source.split("{", 1)[0])


def _parse_question(source: str) -> ParsedQuestion | None:
    rest = source.strip()
    name = ""
    if rest.startswith("::"):
        end = rest.find("::", 2)
        if end == -1:
            raise _FormatError(_("The title has no closing '::'."))
        name, rest = _show(rest[2:end]), rest[end + 2 :].strip()
    text_format = "plain"
    if match := _FORMAT.match(rest):
        text_format = match.group(1).lower()
        text_format = "plain" if text_format == "moodle" else text_format
        rest = rest[match.end() :]
    opening = rest.find("{")
    if opening == -1:
        if "}" in rest:
            raise _FormatError(_("A '}' has no opening '{'."))
        return None
    closing = rest.find("}", opening)
    if closing == -1:
        raise _FormatError(_("The answers opened with '{' are never closed with '}'."))
    inside = rest[opening + 1 : closing]
    if "{" in inside:
        raise _FormatError(
            _("A '{' opens inside the answers; write \\{ for a literal brace.")
        )
    before, after = rest[:opening].strip(), rest[closing + 1 :].strip()
    if "{" in after or "}" in after:
        raise _FormatError(
            _("There is more than one answer block; GIFT allows one per question.")
        )
    text = f"{before} {_BLANK} {after}" if after else before
    if not _show(text):
        raise _FormatError(_("The question has no text."))
    general_feedback = ""
    if "####" in inside:
        inside, general_feedback = inside.split("####", 1)
    kind, data = _parse_answers(inside.strip())
    return ParsedQuestion(
        name=name or name_from_text(_show(text)),
        text=_show(text),
        text_format=text_format,
        kind=kind,
        data=data,
        general_feedback=_show(general_feedback),
    )


def _parse_answers(inside: str) -> tuple[str, dict[str, Any]]:
    if not inside:
        return "essay", {
            "response_format": "text",
            "min_words": 0,
            "max_words": 0,
            "grader_info": "",
            "response_template": "",
        }
    if inside.startswith("#"):
        return "numeric", {"answers": _numeric_answers(inside[1:].strip())}
    head = inside.split("#", 1)[0].strip()
    if head.upper() in _TRUE | _FALSE:
        parts = inside.split("#")
        if len(parts) > 3:
            raise _FormatError(
                _("A true/false question takes at most two feedbacks (wrong, right).")
            )
        wrong, right = (*[_show(p) for p in parts[1:]], "", "")[:2]
        answer = head.upper() in _TRUE
        return "true_false", {
            "answer": answer,
            "feedback_true": right if answer else wrong,
            "feedback_false": wrong if answer else right,
        }
    answers = _answers(inside)
    markers = {marker for marker, _body in answers}
    if "=" in markers and any("->" in body for _marker, body in answers):
        return "matching", _matching(answers)
    if "~" in markers:
        choices = []
        for number, (marker, body) in enumerate(answers, start=1):
            fraction, text, feedback = _weighted(body, number, marker == "=")
            choices.append(
                {
                    "id": letter_id(number - 1),
                    "text": text,
                    "fraction": fraction,
                    "feedback": feedback,
                }
            )
        if "=" in markers:
            return "single_choice", {"choices": choices, "shuffle": True}
        return "multiple_response", {
            "choices": choices,
            "shuffle": True,
            "scoring": "partial",
        }
    accepted = []
    for number, (_marker, body) in enumerate(answers, start=1):
        fraction, text, feedback = _weighted(body, number, True)
        accepted.append({"text": text, "fraction": fraction, "feedback": feedback})
    wildcard = any("*" in a["text"] for a in accepted)
    return "short_answer", {
        "answers": accepted,
        "match": "pattern" if wildcard else "casefold",
    }


def _answers(inside: str) -> list[tuple[str, str]]:
    pieces = re.split(r"([=~])", inside)
    if pieces[0].strip():
        raise _FormatError(
            _(
                "Text before the first answer: '%(text)s'. Every answer starts "
                "with '=' or '~'; an answer of TRUE/FALSE, '#' for a number or "
                "nothing for an essay."
            )
            % {"text": _show(pieces[0])[:40]}
        )
    answers = list(zip(pieces[1::2], pieces[2::2], strict=True))
    if not answers:
        raise _FormatError(_("There are no answers between '{' and '}'."))
    return answers


def _weight(body: str, number: int) -> tuple[Decimal | None, str]:
    match = _WEIGHT.match(body)
    if match:
        return Decimal(match.group(1).replace(",", ".")) / 100, body[match.end() :]
    if body.lstrip().startswith("%"):
        raise _FormatError(
            _("Answer %(n)d has a weight that is not a number between %% signs.")
            % {"n": number}
        )
    return None, body


def _weighted(body: str, number: int, right: bool) -> tuple[float, str, str]:
    weight, body = _weight(body, number)
    text, _hash, feedback = body.partition("#")
    if weight is None:
        weight = Decimal(1 if right else 0)
    return float(weight), _show(text), _show(feedback)


def _matching(answers: list[tuple[str, str]]) -> dict[str, Any]:
    pairs, distractors = [], []
    for number, (marker, body) in enumerate(answers, start=1):
        if marker != "=" or "->" not in body:
            raise _FormatError(
                _(
                    "Answer %(n)d of a matching question must be written "
                    "'=prompt -> answer'."
                )
                % {"n": number}
            )
        prompt, answer = (_show(part) for part in body.split("->", 1))
        if prompt:
            pairs.append(
                {"id": f"p{len(pairs) + 1}", "prompt": prompt, "answer": answer}
            )
        else:
            distractors.append(answer)
    return {"pairs": pairs, "distractors": distractors, "shuffle": True}


def _number(text: str, number: int) -> Decimal:
    value = parse_number(text.strip())
    if value is None:
        raise _FormatError(
            _("Numeric answer %(n)d: '%(text)s' is not a number.")
            % {"n": number, "text": text.strip()}
        )
    return value


def _numeric_answers(inside: str) -> list[dict[str, Any]]:
    if inside.startswith("="):
        tokens = _answers(inside)
        if any(marker == "~" for marker, _body in tokens):
            raise _FormatError(
                _("Numeric answers start with '='; '~' is not allowed here.")
            )
        bodies = [body for _marker, body in tokens]
    else:
        bodies = [inside]
    answers = []
    for number, body in enumerate(bodies, start=1):
        weight, body = _weight(body, number)
        spec, _hash, feedback = body.partition("#")
        spec = spec.strip()
        if ".." in spec:
            low_text, high_text = spec.split("..", 1)
            low, high = _number(low_text, number), _number(high_text, number)
            if low > high:
                raise _FormatError(
                    _("Numeric answer %(n)d: the range %(range)s runs backwards.")
                    % {"n": number, "range": spec}
                )
            value, tolerance = (low + high) / 2, (high - low) / 2
        elif ":" in spec:
            value_text, tolerance_text = spec.split(":", 1)
            value = _number(value_text, number)
            tolerance = _number(tolerance_text, number)
        else:
            value, tolerance = _number(spec, number), Decimal(0)
        answers.append(
            {
                "value": float(value),
                "tolerance": float(tolerance),
                "fraction": float(weight if weight is not None else 1),
                "feedback": _show(feedback),
            }
        )
    return answers


# Writing ----------------------------------------------------------------------

GIFT_KINDS = (
    "single_choice",
    "multiple_response",
    "true_false",
    "short_answer",
    "numeric",
    "matching",
    "essay",
)


def _escape(text: Any) -> str:
    escaped = "".join("\\" + c if c in _SPECIAL else c for c in str(text))
    return escaped.replace("\r\n", "\n").replace("\n", "\\n")


def _plain_number(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(number.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def _percent(fraction: Any) -> str:
    return _plain_number(Decimal(str(fraction)) * 100)


def _feedback(text: Any) -> str:
    return f"#{_escape(text)}" if text else ""


def _answer_block(question: ParsedQuestion) -> str:
    data, kind = question.data, question.kind
    lines: list[str] = []
    if kind in {"single_choice", "multiple_response"}:
        for choice in data["choices"]:
            fraction = Decimal(str(choice.get("fraction", 0)))
            # A text that itself starts with "%" would read as a weight, so such a
            # choice always carries its weight explicitly.
            explicit = str(choice["text"]).startswith("%")
            if kind == "single_choice" and fraction == 1:
                head = "=%100%" if explicit else "="
            else:
                head = f"~%{_percent(fraction)}%" if fraction or explicit else "~"
            lines.append(
                f"{head}{_escape(choice['text'])}{_feedback(choice.get('feedback'))}"
            )
    elif kind == "true_false":
        right = data.get("feedback_true" if data["answer"] else "feedback_false", "")
        wrong = data.get("feedback_false" if data["answer"] else "feedback_true", "")
        word = "TRUE" if data["answer"] else "FALSE"
        tail = f"#{_escape(wrong)}#{_escape(right)}" if wrong or right else ""
        lines.append(word + tail)
    elif kind == "short_answer":
        for answer in data["answers"]:
            lines.append(
                f"=%{_percent(answer.get('fraction', 1))}%{_escape(answer['text'])}"
                f"{_feedback(answer.get('feedback'))}"
            )
    elif kind == "numeric":
        lines.append("#")
        for answer in data["answers"]:
            lines.append(
                f"=%{_percent(answer.get('fraction', 1))}%"
                f"{_plain_number(answer['value'])}:"
                f"{_plain_number(answer.get('tolerance', 0))}"
                f"{_feedback(answer.get('feedback'))}"
            )
    elif kind == "matching":
        for pair in data["pairs"]:
            lines.append(f"={_escape(pair['prompt'])} -> {_escape(pair['answer'])}")
        for distractor in data.get("distractors", []):
            lines.append(f"= -> {_escape(distractor)}")
    if question.general_feedback:
        lines.append(f"####{_escape(question.general_feedback)}")
    if not lines:
        return "{}"
    return "{\n" + "\n".join(f"\t{line}" for line in lines) + "\n}"


def write_gift(questions: Iterable[ParsedQuestion]) -> str:
    """A GIFT file of the questions; a kind GIFT cannot hold becomes a comment."""
    out: list[str] = []
    category = ""
    for question in questions:
        if question.category and question.category != category:
            category = question.category
            out.append(f"$CATEGORY: {category}\n")
        if question.kind not in GIFT_KINDS:
            out.append(
                f"// Not written: {question.kind} question "
                f"'{' '.join(question.name.split())}' has no GIFT form.\n"
            )
            continue
        head = []
        markers = ([f"[id:{question.idnumber}]"] if question.idnumber else []) + [
            f"[tag:{tag}]" for tag in question.tags
        ]
        if markers:
            head.append("// " + " ".join(markers))
        text_format = question.text_format if question.text_format else "plain"
        head.append(
            f"::{_escape(question.name)}::[{text_format}]{_escape(question.text)}"
        )
        out.append("\n".join(head) + _answer_block(question) + "\n")
    return "\n".join(out)
