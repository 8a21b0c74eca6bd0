"""The classroom page's state in its address, so a teacher can send "open this" to a class.

Plain query parameters a teacher can type::

    ?scenario=no_war_2022&seed=3&lang=ru
    ?model.coercion_weight=6&state=KAZ&powers=RUS,EU
    ?question=2                       # the second guided question, as its card's own link gives it

Each slider goes by its run-config key (as in the classroom file and on the ``alignment-run`` command line).
A question's preset is the base its link starts from: ``?question=2&seed=4`` is question 2 with seed 4. Only what
differs from that base is written, so the default page has no query at all.

An unknown or out-of-range parameter is ignored, with the reason, and the page opens with the rest: :func:`parse`
returns what it ignored for the page to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, quote

from alignment.app.classroom import LANGUAGES, Classroom

SPEEDS = (1, 2, 3, 6, 12, 24, 36)  # months a second that Play offers
SPEED = 12  # a year a second: 2015 to 2030 in 15 s, a lesson's pace


@dataclass(frozen=True)
class Link:
    """Everything a link carries: the run's settings and what the page shows of it."""

    scenario: str
    seed: int
    values: dict  # control name -> value
    lang: str = "en"
    state: str = "KAZ"
    powers: tuple = ()  # drawn in colour on the weights chart; () = all
    smooth: bool = True
    question: str | None = None
    projector: bool = False
    speed: int = SPEED
    to: int | None = None  # Play stops at January of this year (None: at the horizon)
    ignored: tuple = field(default=(), compare=False)  # "key=value (why)", for the page to say


def defaults(classroom: Classroom, states: list) -> Link:
    return Link(classroom.scenarios[0], classroom.seed, {n: c.default for n, c in classroom.controls.items()}, state=states[0])


def preset(classroom: Classroom, states: list, question: str | None) -> Link:
    """The defaults, with a guided question's scenario, controls, state and powers when one is named."""
    base = defaults(classroom, states)
    if question is None:
        return base
    q = classroom.questions[question]
    values = {n: q.values.get(n, c.default) for n, c in classroom.controls.items()}
    return replace(base, scenario=q.scenario, values=values, state=q.state or base.state, powers=tuple(q.powers),
                   question=question)


def question_number(classroom: Classroom, question: str) -> int:
    """A question's number in its link (1 for the first in the classroom file)."""
    return list(classroom.questions).index(question) + 1


def _question(classroom: Classroom, value: str) -> str:
    names = list(classroom.questions)
    if value in names:
        return value
    if value.isdigit() and 1 <= int(value) <= len(names):
        return names[int(value) - 1]
    raise ValueError(f"not a question; the classroom has 1-{len(names)}" if names else "the classroom has no questions")


def parse(search: str | None, classroom: Classroom, states: list, powers: list, end_year: int) -> Link:
    """The link's state; what it could not use is in ``.ignored`` (each "key=value (why)"), never an error."""
    pairs = parse_qsl((search or "").lstrip("?"), keep_blank_values=True)
    ignored = []
    question = None
    for key, value in pairs:
        if key == "question":
            try:
                question = _question(classroom, value)
            except ValueError as exc:
                ignored.append(f"question={value} ({exc})")
    link = preset(classroom, states, question)
    values = dict(link.values)
    by_key = {c.key: c for c in classroom.controls.values()}
    changes: dict = {}
    for key, value in pairs:
        try:
            if key == "question":
                continue
            if key == "scenario":
                if value not in classroom.scenarios:
                    raise ValueError("not one of the classroom's scenarios")
                changes["scenario"] = value
            elif key == "seed":
                if not value.isdigit():
                    raise ValueError("a whole number >= 0")
                changes["seed"] = int(value)
            elif key in by_key:
                c = by_key[key]
                v = float(value)
                if not c.min <= v <= c.max:  # NaN fails too
                    raise ValueError(f"outside [{c.min:g}, {c.max:g}]")
                values[c.name] = v
            elif key == "lang":
                if value not in LANGUAGES:
                    raise ValueError("one of " + ", ".join(LANGUAGES))
                changes["lang"] = value
            elif key == "state":
                if value not in states:
                    raise ValueError("one of " + ", ".join(states))
                changes["state"] = value
            elif key == "powers":
                chosen = tuple(p for p in value.split(",") if p)
                unknown = [p for p in chosen if p not in powers]
                if unknown:
                    raise ValueError("powers are " + ", ".join(powers))
                changes["powers"] = chosen
            elif key in ("smooth", "projector"):
                if value not in ("0", "1"):
                    raise ValueError("0 or 1")
                changes[key] = value == "1"
            elif key == "speed":
                if not value.isdigit() or int(value) not in SPEEDS:
                    raise ValueError("months a second, one of " + ", ".join(map(str, SPEEDS)))
                changes["speed"] = int(value)
            elif key == "to":
                if not value.isdigit() or not 2016 <= int(value) <= end_year:
                    raise ValueError(f"a year in [2016, {end_year}]")
                changes["to"] = int(value)
            else:
                raise ValueError("unknown parameter")
        except ValueError as exc:
            why = "not a number" if "could not convert" in str(exc) else str(exc)
            ignored.append(f"{key}={value} ({why})")
    return replace(link, values=values, ignored=tuple(ignored), **changes)


def encode(link: Link, classroom: Classroom, states: list) -> str:
    """The query string of ``link`` (without "?"): only what differs from its base (the defaults, or its question's
    preset), in a fixed order, so the same page always gives the same address."""
    base = preset(classroom, states, link.question)
    out = []
    if link.question is not None:
        out.append(("question", str(question_number(classroom, link.question))))
    if link.scenario != base.scenario:
        out.append(("scenario", link.scenario))
    if link.seed != base.seed:
        out.append(("seed", str(link.seed)))
    for n, c in classroom.controls.items():
        if link.values[n] != base.values[n]:
            out.append((c.key, f"{link.values[n]:g}"))
    if link.state != base.state:
        out.append(("state", link.state))
    if link.powers != base.powers:
        out.append(("powers", ",".join(link.powers)))
    for key, default in (("smooth", True), ("projector", False)):
        if getattr(link, key) != default:
            out.append((key, "1" if getattr(link, key) else "0"))
    if link.speed != SPEED:
        out.append(("speed", str(link.speed)))
    if link.to is not None:
        out.append(("to", str(link.to)))
    if link.lang != "en":
        out.append(("lang", link.lang))
    return "&".join(f"{k}={quote(v, safe=',')}" for k, v in out)
