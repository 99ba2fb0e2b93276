"""A synthetic WVS-7 cross-national CSV: the real file may not be redistributed, tests need one.

The file has the WVS layout (codebook column order, codes, scales, negative missing-value codes,
survey weights, ``version``/``doi``) plus optional filler columns so that a full-size file is about
as wide as the real one (~600 columns). Answers depend on continent, country, urban/rural and
education, so demographic prompting has something to find. The first respondents are the probe
set's 4,860 people with the group (continent, urban/rural, education) the probe file gives them
and an in-range answer to every probe question they were sampled for. One row carries the ID the
original pipeline drops (858069901), a few cells are out of range or junk, and the ``version``
column starts with ``SYNTHETIC`` so that the build (and everything downstream) labels results as
synthetic. Deterministic for a given seed; every column is generated with vectorised numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from valuescope.benchmarks.worldvaluesbench.metadata import (
    COUNTRY,
    DROPPED_RESPONDENT,
    EDUCATION,
    ID_COLUMN,
    URBAN_RURAL,
    WVBMetadata,
    read_probe_samples,
)

SYNTHETIC_VERSION = "SYNTHETIC valuescope WVS-7 look-alike (not survey data)"
SYNTHETIC_DOI = "none (synthetic)"
MISSING_CODES = np.array([-1, -2, -4, -5])
MISSING_WEIGHTS = np.array([0.55, 0.3, 0.1, 0.05])
JUNK_TEXTS = ("x", "?", "9a")
N_OUT_OF_RANGE, N_JUNK = 5, 3
LEVELS = ("Primary or No Education", "Lower Secondary", "Upper to Post Secondary", "Tertiary")


@dataclass(frozen=True)
class ProbeRespondent:
    id: int
    continent: str
    urban_rural: str
    education: str
    questions: tuple[str, ...]


def probe_respondents() -> list[ProbeRespondent]:
    """The distinct respondents of ``samples.tsv`` in order of first appearance."""
    found: dict[int, dict] = {}
    for row in read_probe_samples():
        entry = found.setdefault(row["participant"], {**row, "questions": []})
        if row["question"] not in entry["questions"]:
            entry["questions"].append(row["question"])
    return [ProbeRespondent(id=key, continent=e["continent"], urban_rural=e["urban_rural"],
                            education=e["education"], questions=tuple(e["questions"]))
            for key, e in found.items()]


def synthesize(n_respondents: int, seed: int, out_path: Path, meta: WVBMetadata,
               extra_columns: int = 0) -> dict:
    """Write ``n_respondents`` respondents (+ the dropped-ID row) to ``out_path``; summarise."""
    if n_respondents < 1:
        raise ValueError("n_respondents must be at least 1")
    rng = np.random.default_rng(seed)
    people = _People.make(n_respondents, rng, meta)
    columns: dict[str, np.ndarray] = {}
    answers = _Answers(people, rng, meta)
    for name in meta.value_columns:
        columns[name] = answers.column(name)
    extras = _flaws(people, columns, rng, meta)
    for name in meta.demographic_columns:
        columns[name] = _demographic(name, people, rng, meta)
    columns[ID_COLUMN] = people.ids
    for name in meta.codebook:
        if name not in columns:
            columns[name] = _other(name, people, rng, meta)
    order = list(meta.codebook) + [c for c in meta.questions if c not in meta.codebook]
    for k in range(extra_columns):
        name = f"Z_FILLER_{k + 1:03d}"
        columns[name] = rng.integers(1, 6, people.n).astype(np.int32)
        order.append(name)
    _write(out_path, order, columns)
    return {"path": str(out_path), "seed": seed, "respondents": n_respondents,
            "rows": people.n, "columns": len(order), "probe_respondents": people.n_probe,
            "dropped_id": DROPPED_RESPONDENT, "version": SYNTHETIC_VERSION, **extras}


# ------------------------------------------------------------------------------------- people

@dataclass
class _People:
    """Row-level attributes every column is generated from (probe respondents first)."""

    ids: np.ndarray
    country: np.ndarray  # ISO numeric code per row
    country_index: np.ndarray  # index into ``countries``
    continent_index: np.ndarray  # index into ``continents``
    urban: np.ndarray  # H_URBRURAL code (1 urban, 2 rural, negative missing)
    education: np.ndarray  # Q275 code
    level: np.ndarray  # education level 0..3, NaN if missing
    year: np.ndarray
    age: np.ndarray
    countries: list[int]
    continents: list[str]
    n_probe: int
    protected: dict[str, np.ndarray]  # value question -> rows that need an in-range answer
    dropped_row: int

    @property
    def n(self) -> int:
        return len(self.ids)

    @classmethod
    def make(cls, n: int, rng: np.random.Generator, meta: WVBMetadata) -> _People:
        names = meta.choices(COUNTRY)
        countries = sorted(int(code) for code, label in names.items()
                           if int(code) > 0 and label in meta.country_to_continent)
        continent_of = {c: meta.country_to_continent[names[str(c)]] for c in countries}
        continents = sorted(set(continent_of.values()))
        urban_code = {label: int(code) for code, label in meta.choices(URBAN_RURAL).items()}
        level_codes = _level_codes(meta)

        probes = probe_respondents()[:n]
        probe_country = []
        for person in probes:
            code = person.id // 1_000_000
            if continent_of.get(code) != person.continent:  # keep the probe's group
                same = [c for c in countries if continent_of[c] == person.continent]
                code = int(rng.choice(same))
            probe_country.append(code)

        rest = n - len(probes)
        weights = rng.dirichlet(np.full(len(countries), 4.0))
        rest_country = rng.choice(np.array(countries), size=rest, p=weights)
        rest_ids = _new_ids(rest_country, {p.id for p in probes}, rng)
        rest_ids = np.sort(np.append(rest_ids, DROPPED_RESPONDENT))
        ids = np.concatenate([np.array([p.id for p in probes], dtype=np.int64), rest_ids])
        country = np.concatenate([np.array(probe_country, dtype=np.int64),
                                  rest_ids // 1_000_000])
        index = {c: i for i, c in enumerate(countries)}
        country_index = np.array([index[c] for c in country.tolist()], dtype=np.int64)
        continent_index = np.array([continents.index(continent_of[c]) for c in countries])
        continent_index = continent_index[country_index]
        total = len(ids)

        share_urban = rng.uniform(0.4, 0.85, len(countries))[country_index]
        urban = np.where(rng.random(total) < share_urban, urban_code["Urban"], urban_code["Rural"])
        urban[rng.random(total) < 0.01] = -5
        education = rng.choice(9, size=total, p=[.04, .12, .14, .25, .08, .07, .17, .09, .04])
        education[rng.random(total) < 0.01] = -2
        for row, person in enumerate(probes):
            urban[row] = urban_code[person.urban_rural]
            education[row] = rng.choice(level_codes[person.education])
        level = np.full(total, np.nan)
        for position, name in enumerate(LEVELS):
            codes = level_codes[name] + ([7] if name == "Tertiary" else [])  # Master's: Tertiary
            level[np.isin(education, codes)] = position

        year = rng.integers(2017, 2023, len(countries))[country_index]
        protected: dict[str, list[int]] = {}
        for row, person in enumerate(probes):
            for question in person.questions:
                protected.setdefault(question, []).append(row)
        return cls(ids=ids, country=country, country_index=country_index,
                   continent_index=continent_index, urban=urban, education=education,
                   level=level, year=year, age=rng.integers(18, 86, total), countries=countries,
                   continents=continents, n_probe=len(probes),
                   protected={q: np.array(rows) for q, rows in protected.items()},
                   dropped_row=int(np.flatnonzero(ids == DROPPED_RESPONDENT)[0]))


def _level_codes(meta: WVBMetadata) -> dict[str, list[int]]:
    """Q275 codes per probe education level (ISCED 7 maps to none: the "Masters" quirk)."""
    codes: dict[str, list[int]] = {name: [] for name in LEVELS}
    for code, label in meta.choices(EDUCATION).items():
        level = meta.education_to_level.get(label)
        if level in codes and int(code) >= 0:
            codes[level].append(int(code))
    return codes


def _new_ids(country: np.ndarray, taken: set[int], rng: np.random.Generator) -> np.ndarray:
    """WVS-style IDs (country code, then 07 and four digits) that collide with nothing."""
    ids = np.empty(len(country), dtype=np.int64)
    used = np.array(sorted(taken | {DROPPED_RESPONDENT}), dtype=np.int64)
    for code in np.unique(country).tolist():
        rows = np.flatnonzero(country == code)
        here = used[used // 1_000_000 == code]
        low, high = (70_000, 80_000) if len(rows) + len(here) < 9_000 else (0, 1_000_000)
        pool = code * 1_000_000 + np.arange(low, high, dtype=np.int64)
        pool = pool[~np.isin(pool, here)]
        ids[rows] = rng.choice(pool, size=len(rows), replace=False)
    return ids


# ------------------------------------------------------------------------------------ answers

class _Answers:
    """Value answers: a preferred point per (question, continent) moved by country, settlement
    and education, plus noise; then WVS raw codes (inverse remaps) and missing-value codes."""

    def __init__(self, people: _People, rng: np.random.Generator, meta: WVBMetadata):
        self.people, self.rng, self.meta = people, rng, meta
        self.urban_sign = np.select([people.urban == 1, people.urban == 2], [1.0, -1.0], 0.0)
        self.level = np.nan_to_num((people.level - 1.5) / 1.5)
        self.not_asked = rng.random((len(meta.value_columns), len(people.countries))) < 0.02

    def column(self, name: str) -> np.ndarray:
        people, rng, question = self.people, self.rng, self.meta.questions[name]
        low, high = question.scale_min or 0, question.scale_max or 1
        preferred = rng.uniform(0.1, 0.9, len(people.continents))
        by_country = rng.normal(0.0, 0.08, len(people.countries))
        settlement, schooling = rng.uniform(-0.35, 0.35, 2)
        latent = (preferred[people.continent_index] + by_country[people.country_index]
                  + 0.5 * settlement * self.urban_sign + 0.5 * schooling * self.level
                  + rng.normal(0.0, 0.2, people.n))
        final = low + np.rint(np.clip(latent, 0.0, 1.0) * (high - low)).astype(np.int64)
        raw = self._raw_codes(name, final, low, high)
        drops = [int(code) for code, target in self.meta.adjustments.get(name, {}).items()
                 if target == ""]
        if drops:
            hit = rng.random(people.n) < 0.03
            raw[hit] = rng.choice(drops, size=int(hit.sum()))
        missing = rng.random(people.n) < rng.uniform(0.005, 0.05)
        raw[missing] = rng.choice(MISSING_CODES, size=int(missing.sum()), p=MISSING_WEIGHTS)
        column = self.meta.value_columns.index(name)
        raw[self.not_asked[column][people.country_index]] = -4
        rows = people.protected.get(name)
        if rows is not None:  # probe respondents keep an in-range answer
            raw[rows] = self._raw_codes(name, final[rows], low, high)
        return raw.astype(np.int32)

    def _raw_codes(self, name: str, final: np.ndarray, low: int, high: int) -> np.ndarray:
        """Raw WVS code for each final answer; where several codes map to it, pick at random."""
        remap = self.meta.adjustments.get(name)
        if not remap:
            return final.copy()
        codes = sorted(int(c) for c in self.meta.choices(name) if int(c) >= 0)
        codes = codes or list(range(low, high + 1))
        raw = final.copy()
        for value in range(low, high + 1):
            sources_ = [c for c in codes if remap.get(str(c), str(c)) == str(value)]
            rows = np.flatnonzero(final == value)
            if sources_ and len(rows):
                raw[rows] = self.rng.choice(sources_, size=len(rows))
        return raw


def _flaws(people: _People, columns: dict[str, np.ndarray], rng: np.random.Generator,
           meta: WVBMetadata) -> dict:
    """A few out-of-range and junk cells, away from probe cells and the dropped row."""
    chosen: set[tuple[int, str]] = set()
    out_of_range: list[dict[str, Any]] = []
    junk: list[dict[str, Any]] = []
    questions = meta.value_columns
    for kind, count in (("range", N_OUT_OF_RANGE), ("junk", N_JUNK)):
        tries = 0
        while count and tries < 1000:
            tries += 1
            row, name = int(rng.integers(people.n)), questions[int(rng.integers(len(questions)))]
            guarded = people.protected.get(name)
            if row == people.dropped_row or (row, name) in chosen or (
                    guarded is not None and row in guarded):
                continue
            chosen.add((row, name))
            count -= 1
            if kind == "range":
                value = (meta.questions[name].scale_max or 0) + 3
                while str(value) in meta.adjustments.get(name, {}):
                    value += 1
                columns[name][row] = value
                out_of_range.append({"id": int(people.ids[row]), "question": name,
                                     "value": value})
            else:
                junk.append({"id": int(people.ids[row]), "question": name,
                             "text": JUNK_TEXTS[len(junk) % len(JUNK_TEXTS)]})
    for cell in junk:
        name = cell["question"]
        text = columns[name].astype(str).astype(object)
        text[people.ids == cell["id"]] = cell["text"]
        columns[name] = text
    return {"out_of_range": out_of_range, "junk": junk}


# ------------------------------------------------------------------------------- demographics

def _codes_of(meta: WVBMetadata, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a codebook variable: (non-negative ones, negative ones)."""
    codes = []
    for code in meta.choices(name):
        try:
            codes.append(int(code))
        except ValueError:
            continue
    values = np.array(sorted(codes), dtype=np.int64)
    return values[values >= 0], values[values < 0]


def _with_missing(values: np.ndarray, name: str, rng: np.random.Generator, meta: WVBMetadata,
                  rate: float = 0.015) -> np.ndarray:
    """Sprinkle the variable's own negative codes over ``rate`` of the rows."""
    _, negative = _codes_of(meta, name)
    if len(negative):
        hit = rng.random(len(values)) < rate
        values[hit] = rng.choice(negative, size=int(hit.sum()))
    return values


def _by_prefix(name: str, people: _People, rng: np.random.Generator,
               meta: WVBMetadata) -> np.ndarray:
    """Country-specific codes such as towns (``20001`` = Andorra's first town)."""
    positive, _ = _codes_of(meta, name)
    out = np.full(people.n, -4, dtype=np.int64)
    for country in np.unique(people.country).tolist():
        pool = positive[positive // 1000 == country]
        rows = np.flatnonzero(people.country == country)
        if len(pool):
            out[rows] = rng.choice(pool, size=len(rows))
    return out


def _pick(name: str, people: _People, rng: np.random.Generator, meta: WVBMetadata) -> np.ndarray:
    positive, _ = _codes_of(meta, name)
    if not len(positive):
        return rng.integers(0, 100, people.n)
    return rng.choice(positive, size=people.n)


def _birth_country(name: str, people: _People, rng: np.random.Generator,
                   meta: WVBMetadata) -> np.ndarray:
    positive, _ = _codes_of(meta, name)
    out = np.where(np.isin(people.country, positive), people.country, -5)
    abroad = rng.random(people.n) < 0.08
    out[abroad] = rng.choice(positive, size=int(abroad.sum()))
    return out


def _age_group(people: _People) -> np.ndarray:
    return np.digitize(people.age, [25, 35, 45, 55, 65]) + 1


def _demographic(name: str, people: _People, rng: np.random.Generator,
                 meta: WVBMetadata) -> np.ndarray:
    special: dict[str, Callable[[], np.ndarray]] = {
        "A_YEAR": lambda: people.year,
        COUNTRY: lambda: people.country,
        URBAN_RURAL: lambda: people.urban,
        EDUCATION: lambda: people.education,
        "J_INTDATE": lambda: (people.year * 10_000 + rng.integers(1, 13, people.n) * 100
                              + rng.integers(1, 29, people.n)),
        "N_TOWN": lambda: _by_prefix(name, people, rng, meta),
        "Q290": lambda: _by_prefix(name, people, rng, meta),
        "G_TOWNSIZE": lambda: np.where(people.urban == 1, rng.integers(5, 9, people.n),
                                       rng.integers(1, 5, people.n)),
        "H_SETTLEMENT": lambda: np.where(people.urban == 1, rng.integers(1, 5, people.n),
                                         rng.integers(3, 6, people.n)),
        "Q261": lambda: people.year - people.age,
        "Q262": lambda: people.age,
        "X003R": lambda: _age_group(people),
        "Q266": lambda: _birth_country(name, people, rng, meta),
        "Q267": lambda: _birth_country(name, people, rng, meta),
        "Q268": lambda: _birth_country(name, people, rng, meta),
    }
    if name in (ID_COLUMN, COUNTRY, URBAN_RURAL, EDUCATION, "A_YEAR"):
        return special[name]().astype(np.int64)
    values = special.get(name, lambda: _pick(name, people, rng, meta))().astype(np.int64)
    return _with_missing(values, name, rng, meta)


def _other(name: str, people: _People, rng: np.random.Generator, meta: WVBMetadata) -> np.ndarray:
    """Columns WVB ignores, filled plausibly: weights, version, country aliases, other items."""
    n = people.n
    if name == "version":
        return np.full(n, SYNTHETIC_VERSION, dtype=object)
    if name == "doi":
        return np.full(n, SYNTHETIC_DOI, dtype=object)
    if name == "W_WEIGHT":
        return np.round(rng.lognormal(0.0, 0.35, n), 6)
    if name == "S018":
        sizes = np.bincount(people.country_index, minlength=len(people.countries))
        return np.round(1000.0 / sizes[people.country_index], 6)
    if name == "A_WAVE":
        return np.full(n, 7)
    if name == "A_STUDY":
        return np.full(n, 2)
    if name == "S025":
        return people.country * 10_000 + people.year
    if name in ("B_COUNTRY_ALPHA", "C_COW_NUM", "C_COW_ALPHA"):
        by_label = {text: code for code, text in meta.choices(name).items()}
        label = np.array([meta.choices(COUNTRY)[str(c)] for c in people.countries])[
            people.country_index]
        return np.array([by_label.get(text, "") for text in label.tolist()], dtype=object)
    if name in ("N_REGION_ISO", "N_REGION_WVS"):
        return _by_prefix(name, people, rng, meta)
    choices = [code for code in meta.choices(name) if not code.startswith("-")]
    if choices and not all(_is_int(code) for code in choices):
        return rng.choice(np.array(choices, dtype=object), size=n)
    return _with_missing(_pick(name, people, rng, meta).astype(np.int64), name, rng, meta)


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _write(path: Path, order: list[str], columns: dict[str, np.ndarray]) -> None:
    """Plain comma-separated UTF-8 with an unquoted header, like the WVS export."""
    table = pa.table({name: pa.array(columns[name]) for name in order})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write((",".join(order) + "\n").encode("utf-8"))
        pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=False,
                                                          quoting_style="none"))
