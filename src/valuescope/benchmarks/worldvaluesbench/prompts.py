"""The WorldValuesBench prompt (README template) and the choice of demographics it lists.

The paper does not say which demographic variables were listed: the README shows country,
urban/rural and education as items 1-3 and then "...". Our default (``readme``) lists those three
first, then every other *person* variable (Q260-Q290, X003R, town size, settlement type) in
metadata order. Technical interview variables (year, interview ID and date, town code, interview
language, literacy) say nothing about the person and are left out, and so are answers that are a
missing-value label ("No answer", "Not asked", ...). ``all`` lists all 42 in metadata order,
``grouping`` only the three grouping variables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from valuescope.benchmarks.worldvaluesbench.metadata import (
    COUNTRY,
    EDUCATION,
    URBAN_RURAL,
    WVBMetadata,
)

GROUPING = (COUNTRY, URBAN_RURAL, EDUCATION)
TECHNICAL = ("A_YEAR", "D_INTERVIEW", "J_INTDATE", "N_TOWN", "S_INTLANGUAGE", "E1_LITERACY")
DEMOGRAPHIC_SETS = ("readme", "all", "grouping")
SCORE_KEY = "answer as a score"
EXPLANATION_KEY = "thoughtful explanation"

OUTPUT_FORMAT = ("Your output should be in the following format:\n"
                 "{\n"
                 f'    "{EXPLANATION_KEY}": "... upto 30 words (keep their demographics in mind) ...",\n'
                 f'    "{SCORE_KEY}": "... score ..."\n'
                 "}")


def prompt_variables(meta: WVBMetadata, which: str) -> list[str]:
    if which == "grouping":
        return list(GROUPING)
    if which == "all":
        return meta.demographic_columns
    rest = [v for v in meta.demographic_columns if v not in GROUPING and v not in TECHNICAL]
    return [*GROUPING, *rest]


def demographic_block(meta: WVBMetadata, answers: Iterable[tuple[str, str | None]]) -> str:
    lines = ["Person X provided the following demographic information in an interview:"]
    number = 0
    missing = meta.missing_labels
    for variable, answer in answers:
        if answer is None or answer == "" or answer in missing.get(variable, ()):
            continue
        number += 1
        lines.append(f"{number}. Question: {meta.questions[variable].text}")
        lines.append(f" Answer: {answer}")
    return "\n".join(lines)


def build_prompt(meta: WVBMetadata, question_id: str,
                 demographics: Iterable[tuple[str, str | None]] | None) -> str:
    """The user message. ``demographics=None`` gives the no-demographics variant."""
    ask = ("What would Person X answer to the following question and why?\n"
           f"Question: {meta.questions[question_id].text}")
    parts = [ask, OUTPUT_FORMAT]
    if demographics is not None:
        parts.insert(0, demographic_block(meta, demographics))
    return "\n\n".join(parts)


def reply_for(score: int) -> str:
    """A well-formed reply with the given score (what baselines answer)."""
    return json.dumps({EXPLANATION_KEY: "baseline", SCORE_KEY: str(score)})


#: Start of the assistant's reply in ``--answer-mode distribution``: the score key comes first so
#: that the next tokens are the score itself.
DISTRIBUTION_PREFIX = '{"' + SCORE_KEY + '": "'


def distribution_continuation(score: int) -> str:
    # The closing quote keeps "1" from being a prefix of "10".
    return f'{score}"'
