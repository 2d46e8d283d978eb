"""Moodle XML question files: read them into `ParsedQuestion`s and write them back.

Files come from uploads, so they are read with defusedxml and no document type
(DTD) at all: entity expansion ("billion laughs") and external entities (XXE)
are refused before anything is built. Question types read: multichoice (single
or multiple answers), multichoiceset (all-or-nothing), truefalse, shortanswer,
numerical, matching, essay and ordering; `category` sets the category of the
questions after it and `description` is skipped. Files embedded in a text
(`@@PLUGINFILE@@` images) are refused with a clear problem rather than lost.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.utils.translation import gettext as _

from assessments.questions.builtin import parse_number
from assessments.questions.parsed import (
    ParsedQuestion,
    ParseResult,
    QuestionProblem,
    definition_problems,
    letter_id,
)

_FORMATS_IN = {
    "html": "html",
    "plain_text": "plain",
    "markdown": "markdown",
    "moodle_auto_format": "plain",
}
_FORMATS_OUT = {"html": "html", "plain": "plain_text", "markdown": "markdown"}
_TAG = re.compile(r"<[^>]*>")
# Our scoring rules that Moodle's multichoice cannot express are kept in an
# element Moodle ignores, so a file exported here reads back the same.
_SCORING = "lmsscoring"


class _LineTreeBuilder(ET.TreeBuilder):
    """A tree builder that remembers the line each <question> starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.expat: Any = None
        self.lines: dict[int, int] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        if tag == "question" and self.expat is not None:
            self.lines[id(element)] = self.expat.CurrentLineNumber
        return element


def _read_tree(data: bytes | str) -> tuple[ET.Element, dict[int, int]]:
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.expat = parser.parser  # defusedxml uses the pure-Python parser
    parser.feed(data)
    return parser.close(), builder.lines


class _QuestionError(Exception):
    """One or more problems with one question's XML."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(messages)
        self.messages = messages


def _text(element: ET.Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _child_text(question: ET.Element, child: str) -> str:
    return _text(question.find(child))


def _flag(question: ET.Element, child: str, default: bool) -> bool:
    found = question.find(child)
    if found is None or not (found.text or "").strip():
        return default
    return (found.text or "").strip().lower() in {"1", "true", "yes"}


def _percent(value: str | None, number: int, problems: list[str]) -> float:
    try:
        fraction = Decimal((value or "0").strip()) / 100
    except InvalidOperation:
        problems.append(
            _("Answer %(n)d has a fraction that is not a number: %(value)s.")
            % {"n": number, "value": value}
        )
        return 0.0
    return float(fraction)


def _whole(question: ET.Element, child: str, problems: list[str]) -> int:
    text = (question.findtext(child) or "").strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        problems.append(
            _("<%(child)s> must be a whole number, not %(value)s.")
            % {"child": child, "value": text}
        )
        return 0


def parse_moodle_xml(data: bytes | str) -> ParseResult:
    """Every question of a Moodle XML file and every problem, each with its line."""
    result = ParseResult()
    try:
        root, lines = _read_tree(data)
    except DefusedXmlException:
        result.problems.append(
            QuestionProblem(
                0,
                None,
                "",
                [
                    _(
                        "The file declares a document type or entities (DTD); "
                        "question files must not, so it was refused unread."
                    )
                ],
            )
        )
        return result
    except ET.ParseError as error:
        line = error.position[0] if error.position else None
        result.problems.append(
            QuestionProblem(
                0, line, "", [_("The file is not well-formed XML: %s.") % error]
            )
        )
        return result
    if root.tag != "quiz":
        result.problems.append(
            QuestionProblem(
                0,
                1,
                "",
                [_("The file's root element must be <quiz>, not <%s>.") % root.tag],
            )
        )
        return result
    category, index = "", 0
    for element in root.iter("question"):
        kind = element.get("type", "")
        line = lines.get(id(element))
        if kind == "category":
            category = _child_text(element, "category")
            continue
        if kind == "description":
            continue
        index += 1
        name = _child_text(element, "name")
        try:
            question = _parse_question(element, kind)
        except _QuestionError as error:
            result.problems.append(QuestionProblem(index, line, name, error.messages))
            continue
        question.category, question.line, question.number = category, line, index
        result.questions.append(question)
        if problems := definition_problems(question):
            result.problems.append(QuestionProblem(index, line, name, problems))
    return result


def _parse_question(element: ET.Element, kind: str) -> ParsedQuestion:
    reader = _READERS.get(kind)
    if reader is None:
        raise _QuestionError(
            [_("Question type '%(type)s' is not supported.") % {"type": kind}]
        )
    problems: list[str] = []
    text_element = element.find("questiontext")
    text = _text(text_element)
    if not text:
        problems.append(_("The question has no text (<questiontext>)."))
    text_format = _FORMATS_IN.get(
        text_element.get("format", "html") if text_element is not None else "html",
        "html",
    )
    points = Decimal(1)
    grade = (element.findtext("defaultgrade") or "").strip()
    if grade:
        try:
            points = Decimal(grade).quantize(Decimal("0.01"))
        except InvalidOperation:
            problems.append(
                _("<defaultgrade> must be a number, not %(value)s.") % {"value": grade}
            )
    our_kind, data = reader(element, problems)
    if "@@PLUGINFILE@@" in ET.tostring(element, encoding="unicode"):
        problems.append(
            _(
                "The question embeds files (images or media); embedded files "
                "cannot be imported yet, so remove them or link to them instead."
            )
        )
    if problems:
        raise _QuestionError(problems)
    tags = [
        (tag.findtext("text") or "").strip()
        for tag in element.findall("tags/tag")
        if (tag.findtext("text") or "").strip()
    ]
    name = _child_text(element, "name")
    return ParsedQuestion(
        name=name or " ".join(_TAG.sub(" ", text).split())[:40],
        text=text,
        text_format=text_format,
        kind=our_kind,
        data=data,
        points=points,
        general_feedback=_child_text(element, "generalfeedback"),
        tags=tags,
        idnumber=(element.findtext("idnumber") or "").strip(),
    )


def _choices(element: ET.Element, kind: str, problems: list[str]):
    choices = []
    for number, answer in enumerate(element.findall("answer"), start=1):
        choices.append(
            {
                "id": letter_id(number - 1),
                "text": _text(answer),
                "fraction": _percent(answer.get("fraction"), number, problems),
                "feedback": _text(answer.find("feedback")),
            }
        )
    shuffle = _flag(element, "shuffleanswers", True)
    if kind == "multichoice" and _flag(element, "single", True):
        return "single_choice", {"choices": choices, "shuffle": shuffle}
    scoring = "all_or_nothing" if kind == "multichoiceset" else "partial"
    scoring = (element.findtext(_SCORING) or "").strip() or scoring
    return "multiple_response", {
        "choices": choices,
        "shuffle": shuffle,
        "scoring": scoring,
    }


def _true_false(element: ET.Element, problems: list[str]):
    answers = {}
    for number, answer in enumerate(element.findall("answer"), start=1):
        answers[_text(answer).lower()] = (
            _percent(answer.get("fraction"), number, problems),
            _text(answer.find("feedback")),
        )
    if set(answers) != {"true", "false"}:
        problems.append(_("A true/false question needs a 'true' and a 'false' answer."))
        return "true_false", {}
    return "true_false", {
        "answer": answers["true"][0] >= answers["false"][0],
        "feedback_true": answers["true"][1],
        "feedback_false": answers["false"][1],
    }


def _short_answer(element: ET.Element, problems: list[str]):
    answers = [
        {
            "text": _text(answer),
            "fraction": _percent(answer.get("fraction"), number, problems),
            "feedback": _text(answer.find("feedback")),
        }
        for number, answer in enumerate(element.findall("answer"), start=1)
    ]
    if any("*" in answer["text"] for answer in answers):
        match = "pattern"
    else:
        match = "exact" if _flag(element, "usecase", False) else "casefold"
    return "short_answer", {"answers": answers, "match": match}


def _numeric(element: ET.Element, problems: list[str]):
    answers = []
    for number, answer in enumerate(element.findall("answer"), start=1):
        value_text = _text(answer)
        fraction = _percent(answer.get("fraction"), number, problems)
        if value_text == "*" and fraction == 0:
            continue  # Moodle's "any other answer": only feedback, never credit
        value = parse_number(value_text)
        tolerance = parse_number((answer.findtext("tolerance") or "0").strip() or "0")
        if value is None:
            problems.append(
                _("Numeric answer %(n)d: '%(text)s' is not a number.")
                % {"n": number, "text": value_text}
            )
            continue
        if tolerance is None:
            problems.append(
                _("Numeric answer %(n)d has a tolerance that is not a number.")
                % {"n": number}
            )
            continue
        answers.append(
            {
                "value": float(value),
                "tolerance": float(tolerance),
                "fraction": fraction,
                "feedback": _text(answer.find("feedback")),
            }
        )
    return "numeric", {"answers": answers}


def _matching(element: ET.Element, problems: list[str]):
    pairs, distractors = [], []
    for subquestion in element.findall("subquestion"):
        prompt, answer = _text(subquestion), _text(subquestion.find("answer"))
        if _TAG.sub("", prompt).strip():
            pairs.append(
                {"id": f"p{len(pairs) + 1}", "prompt": prompt, "answer": answer}
            )
        elif answer:
            distractors.append(answer)
    return "matching", {
        "pairs": pairs,
        "distractors": distractors,
        "shuffle": _flag(element, "shuffleanswers", True),
    }


def _ordering(element: ET.Element, problems: list[str]):
    answers = element.findall("answer")
    positions = [parse_number(answer.get("fraction") or "") for answer in answers]
    if all(p is not None for p in positions) and len(set(positions)) == len(answers):
        answers = [a for _p, a in sorted(zip(positions, answers, strict=True))]
    items = [
        {"id": f"i{number}", "text": _text(answer)}
        for number, answer in enumerate(answers, start=1)
    ]
    return "ordering", {"items": items}


def _essay(element: ET.Element, problems: list[str]):
    return "essay", {
        "response_format": "text",
        "min_words": _whole(element, "minwordlimit", problems),
        "max_words": _whole(element, "maxwordlimit", problems),
        "grader_info": _child_text(element, "graderinfo"),
        "response_template": _child_text(element, "responsetemplate"),
    }


_READERS = {
    "multichoice": lambda e, p: _choices(e, "multichoice", p),
    "multichoiceset": lambda e, p: _choices(e, "multichoiceset", p),
    "truefalse": _true_false,
    "shortanswer": _short_answer,
    "numerical": _numeric,
    "matching": _matching,
    "ordering": _ordering,
    "essay": _essay,
}


# Writing ----------------------------------------------------------------------


def _number(value: Any) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in {"-0", ""} else text


def _add_text(
    parent: ET.Element, tag: str, text: Any, text_format: str | None = None
) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text_format:
        element.set("format", text_format)
    ET.SubElement(element, "text").text = str(text or "")
    return element


def _add(parent: ET.Element, tag: str, text: Any) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = str(text)
    return element


def _add_answer(
    parent: ET.Element, fraction: Any, text: Any, feedback: Any = ""
) -> ET.Element:
    answer = ET.SubElement(
        parent,
        "answer",
        fraction=_number(Decimal(str(fraction)) * 100),
        format="plain_text",
    )
    ET.SubElement(answer, "text").text = str(text)
    _add_text(answer, "feedback", feedback, "html")
    return answer


def _write_body(question: ET.Element, kind: str, data: dict[str, Any]) -> str:
    """Adds the kind's elements; returns the Moodle question type."""
    flag = {True: "true", False: "false"}
    if kind in {"single_choice", "multiple_response"}:
        scoring = data.get("scoring", "partial")
        _add(question, "single", flag[kind == "single_choice"])
        _add(question, "shuffleanswers", flag[bool(data.get("shuffle", True))])
        _add(question, "answernumbering", "abc")
        if kind == "multiple_response" and scoring == "right_minus_wrong":
            _add(question, _SCORING, scoring)
        for choice in data["choices"]:
            _add_answer(
                question,
                choice.get("fraction", 0),
                choice["text"],
                choice.get("feedback", ""),
            )
        if kind == "multiple_response" and scoring == "all_or_nothing":
            return "multichoiceset"
        return "multichoice"
    if kind == "true_false":
        answer = bool(data["answer"])
        _add_answer(question, 1 if answer else 0, "true", data.get("feedback_true"))
        _add_answer(question, 0 if answer else 1, "false", data.get("feedback_false"))
        return "truefalse"
    if kind == "short_answer":
        _add(question, "usecase", 1 if data.get("match") == "exact" else 0)
        for answer in data["answers"]:
            _add_answer(
                question,
                answer.get("fraction", 1),
                answer["text"],
                answer.get("feedback", ""),
            )
        return "shortanswer"
    if kind == "numeric":
        for answer in data["answers"]:
            element = _add_answer(
                question,
                answer.get("fraction", 1),
                _number(answer["value"]),
                answer.get("feedback", ""),
            )
            _add(element, "tolerance", _number(answer.get("tolerance", 0)))
        return "numerical"
    if kind == "matching":
        _add(question, "shuffleanswers", flag[bool(data.get("shuffle", True))])
        for pair in data["pairs"]:
            sub = _add_text(question, "subquestion", pair["prompt"], "html")
            _add_text(sub, "answer", pair["answer"])
        for distractor in data.get("distractors", []):
            sub = _add_text(question, "subquestion", "", "html")
            _add_text(sub, "answer", distractor)
        return "matching"
    if kind == "ordering":
        _add(question, "layouttype", "VERTICAL")
        _add(question, "selecttype", "ALL")
        _add(question, "selectcount", 0)
        _add(question, "gradingtype", "ABSOLUTE_POSITION")
        for position, item in enumerate(data["items"], start=1):
            answer = ET.SubElement(
                question, "answer", fraction=str(position), format="plain_text"
            )
            ET.SubElement(answer, "text").text = str(item["text"])
        return "ordering"
    if kind == "essay":
        _add(question, "responseformat", "editor")
        _add(question, "responserequired", 1)
        _add(question, "responsefieldlines", 15)
        _add(question, "minwordlimit", data.get("min_words") or "")
        _add(question, "maxwordlimit", data.get("max_words") or "")
        _add(question, "attachments", 0)
        _add_text(question, "graderinfo", data.get("grader_info", ""), "html")
        _add_text(
            question, "responsetemplate", data.get("response_template", ""), "html"
        )
        return "essay"
    raise ValueError(f"No Moodle XML form for question type {kind!r}.")


def write_moodle_xml(questions: Iterable[ParsedQuestion]) -> bytes:
    """A Moodle XML file (UTF-8) of the questions, in order, with categories."""
    quiz = ET.Element("quiz")
    category = ""
    for parsed in questions:
        if parsed.category and parsed.category != category:
            category = parsed.category
            marker = ET.SubElement(quiz, "question", type="category")
            _add_text(marker, "category", category)
        question = ET.SubElement(quiz, "question")
        _add_text(question, "name", parsed.name)
        _add_text(
            question,
            "questiontext",
            parsed.text,
            _FORMATS_OUT.get(parsed.text_format, "html"),
        )
        _add_text(question, "generalfeedback", parsed.general_feedback, "html")
        _add(question, "defaultgrade", _number(parsed.points))
        _add(question, "penalty", "0")
        _add(question, "hidden", "0")
        _add(question, "idnumber", parsed.idnumber)
        question.set("type", _write_body(question, parsed.kind, parsed.data))
        if parsed.tags:
            tags = ET.SubElement(question, "tags")
            for tag in parsed.tags:
                _add_text(tags, "tag", tag)
    ET.indent(quiz)
    body = ET.tostring(quiz, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode()
