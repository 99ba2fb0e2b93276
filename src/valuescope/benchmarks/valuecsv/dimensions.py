"""The 12 Core Socialist Values dimensions: canonical order, levels, and the corpus's own order.

Everything inside valuescope (label matrices, probabilities, reports) uses the canonical order
national -> society -> personal. The corpus file lists its columns personal -> national -> society,
so readers map columns by name, never by position.
"""

from __future__ import annotations

LEVELS: dict[str, tuple[str, ...]] = {
    "national": ("Prosperity", "Democracy", "Civility", "Harmony"),
    "society": ("Freedom", "Equality", "Justice", "Rule of Law"),
    "personal": ("Patriotism", "Dedication", "Integrity", "Friendliness"),
}
DIMENSIONS: tuple[str, ...] = tuple(d for dims in LEVELS.values() for d in dims)
CHINESE: dict[str, str] = {
    "Prosperity": "富强", "Democracy": "民主", "Civility": "文明", "Harmony": "和谐",
    "Freedom": "自由", "Equality": "平等", "Justice": "公正", "Rule of Law": "法治",
    "Patriotism": "爱国", "Dedication": "敬业", "Integrity": "诚信", "Friendliness": "友善",
}

#: Column order of ``ValueCSV5000.xlsx`` (and of the original scripts' label vectors).
FILE_ORDER: tuple[str, ...] = ("Patriotism", "Dedication", "Integrity", "Friendliness",
                               "Prosperity", "Democracy", "Civility", "Harmony", "Freedom",
                               "Equality", "Justice", "Rule of Law")
COLUMN_SUFFIX = "_scr"

#: The multi-label script's BCE rescaling weights, in FILE_ORDER. They equal
#: round(total positives / positives of the class) on the corpus.
PAPER_CLASS_WEIGHTS_FILE_ORDER: tuple[float, ...] = (8, 7, 13, 39, 6, 47, 16, 7, 82, 15, 26, 8)


def column_name(dimension: str) -> str:
    return dimension + COLUMN_SUFFIX


def slug(dimension: str) -> str:
    """A file-system name: 'Rule of Law' -> 'rule-of-law'."""
    return dimension.lower().replace(" ", "-")


def paper_class_weights() -> list[float]:
    """The paper's class weights in canonical order."""
    by_name = dict(zip(FILE_ORDER, PAPER_CLASS_WEIGHTS_FILE_ORDER, strict=True))
    return [float(by_name[d]) for d in DIMENSIONS]
