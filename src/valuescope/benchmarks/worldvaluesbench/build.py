"""Build WorldValuesBench's tables from a WVS-7 export, exactly as the original data_preparation.py.

Behaviour (reference spec §3): drop respondent 858069901; keep the 282 metadata columns; normalise
codes to integers; apply ``answer_adjustment.json`` ("" drops the answer); ordinal columns turn
negative codes into missing and keep everything else (out-of-range values are kept and counted, the
original only printed a warning); non-ordinal columns become codebook labels where the codebook has
one, else the value itself (negative codes become "No answer" etc.); blank stays blank. Split: a
seed-0 ``random.shuffle`` of the rows, first 70 % train, next 15 % test, the rest valid.

Where the original would crash or guess, this module decides and counts (see the manifest):

* junk (a non-numeric cell, or an infinite one) in an ordinal column is treated as missing (the
  original would crash on it); in a non-ordinal column it is kept verbatim, as the original does;
  both are counted per column under ``junk``;
* a non-integer number is truncated in ordinal columns (``int(2.7) == 2``, as the original) and kept
  as text in non-ordinal ones, counted under ``non_integer``; remaps only apply to integers;
* an ordinal value beyond the int16 range cannot be stored and is counted as junk.

Everything is vectorised per column with numpy/pyarrow; Python only loops over columns (and over
the rare junk cells of non-ordinal columns).
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from valuescope import sources
from valuescope.benchmarks.worldvaluesbench.metadata import (
    DROPPED_RESPONDENT,
    ID_COLUMN,
    WVBMetadata,
)
from valuescope.benchmarks.worldvaluesbench.wvs_reader import read_wvs
from valuescope.errors import DataFileError

MISSING = -1  # every valid answer is >= 0 after the remaps
SPLITS = ("train", "test", "valid")  # in the order the shuffled list is sliced
FORMAT = "valuescope-wvb-build"
FORMAT_VERSION = 2  # 2: survey weights (W_WEIGHT) kept for --weights
SPLIT_SEED = 0
VERSION_COLUMN = "version"  # the real WVS file has one; synthetic files say so in it
WEIGHT_COLUMN = "W_WEIGHT"  # survey weight; only read for the --weights option
SYNTHETIC_MARK = "SYNTHETIC"
MANIFEST, VALUE_FILE, DEMOGRAPHIC_FILE = "manifest.json", "value.parquet", "demographic.parquet"
_BLANK = np.iinfo(np.int64).min  # blank or dropped code, distinct from every real code
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


@dataclass
class WVSTables:
    ids: np.ndarray  # int64 D_INTERVIEW, file order (after the drop)
    split: np.ndarray  # '<U5': 'train' | 'test' | 'valid'
    shuffle_rank: np.ndarray  # int64 position of the row in the seed-0 shuffled order
    value_columns: list[str]
    values: np.ndarray  # int16 (n, 239), MISSING = -1; column-major (Fortran order)
    demographic_columns: list[str]
    demographics: pa.Table  # D_INTERVIEW + 42 string columns (labels), null for blank
    manifest: dict
    weights: np.ndarray | None = None  # float64 W_WEIGHT per row (NaN if blank); None if absent
    _row_of: dict[int, int] | None = field(default=None, init=False, repr=False, compare=False)

    def row_of(self) -> dict[int, int]:
        """D_INTERVIEW -> row index (built once)."""
        if self._row_of is None:
            self._row_of = dict(zip(self.ids.tolist(), range(len(self.ids)), strict=True))
        return self._row_of


# ---------------------------------------------------------------------------------------- build

def build_tables(wvs_path: Path, meta: WVBMetadata) -> WVSTables:
    """Read a WVS-7 export and build the WVB tables in memory."""
    return _build(Path(wvs_path), meta, sources.sha256_of(Path(wvs_path)))


def _build(path: Path, meta: WVBMetadata, sha256: str) -> WVSTables:
    columns = list(meta.questions)
    table = read_wvs(path, columns, optional=[VERSION_COLUMN, WEIGHT_COLUMN])
    ids_all = _ids(table.column(ID_COLUMN), path)
    keep = ids_all != DROPPED_RESPONDENT
    kept = np.flatnonzero(keep)
    ids = ids_all[kept]
    counts: dict[str, dict[str, int]] = {"out_of_range": {}, "junk": {}, "non_integer": {}}

    value_columns = meta.value_columns
    values = np.empty((len(ids), len(value_columns)), dtype=np.int16, order="F")  # by column
    for j, name in enumerate(value_columns):
        values[:, j] = _ordinal(table.column(name), kept, name, meta, counts)

    demographic_columns = meta.demographic_columns
    demo = {ID_COLUMN: pa.array(ids, pa.int64())}
    for name in demographic_columns:
        column = table.column(name)
        if meta.questions[name].ordinal:
            codes = _ordinal(column, kept, name, meta, counts).astype(np.int64)
            demo[name] = _strings_of(codes, codes == MISSING)
        else:
            demo[name] = _labels(column, kept, name, meta, counts)

    split, rank = split_rows(len(ids))
    version = _version(table)
    weights = _weights(table, kept)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "source": {"name": path.name, "sha256": sha256, "size": path.stat().st_size},
        "synthetic": version.startswith(SYNTHETIC_MARK),
        "wvs_version": version,
        "dropped_respondent": DROPPED_RESPONDENT,
        "dropped_rows": int(len(ids_all) - len(ids)),
        "duplicate_ids": int(len(ids) - len(np.unique(ids))),
        "split_seed": SPLIT_SEED,
        "rows": _per_split(split, np.ones(len(ids), dtype=np.int64)),
        "examples": _per_split(split, (values != MISSING).sum(axis=1)),
        "columns": {"value": len(value_columns), "demographic": len(demographic_columns)},
        "weights": weights is not None,
        **{key: dict(sorted(found.items(), key=lambda kv: columns.index(kv[0])))
           for key, found in counts.items()},
    }
    return WVSTables(ids=ids, split=split, shuffle_rank=rank, value_columns=value_columns,
                     values=values, demographic_columns=demographic_columns,
                     demographics=pa.table(demo), manifest=manifest, weights=weights)


def _weights(table: pa.Table, kept: np.ndarray) -> np.ndarray | None:
    """The survey weight W_WEIGHT (not used by the paper; for ``--weights``), NaN where unusable."""
    if WEIGHT_COLUMN not in table.column_names:
        return None
    column = pc.cast(table.column(WEIGHT_COLUMN), pa.string())
    numeric = pc.if_else(pc.match_substring_regex(column, _NUMBER), column, None)
    weights = pc.cast(numeric, pa.float64()).to_numpy(zero_copy_only=False)[kept]
    weights[~(weights > 0)] = np.nan  # blank, zero, negative (missing codes): no weight
    return weights


def split_rows(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The original split: ``random.seed(0); random.shuffle(labels)``, train | test | valid.

    ``random.shuffle`` only swaps positions, so shuffling the pandas index labels (which keep a gap
    where the dropped respondent was) permutes rows exactly like shuffling ``range(n)``.
    """
    order = list(range(n))
    random.Random(SPLIT_SEED).shuffle(order)  # same stream as random.seed(0) + random.shuffle
    rank = np.empty(n, dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(n, dtype=np.int64)
    train_end = int(0.7 * n)
    test_end = train_end + int(0.15 * n)
    split = np.full(n, "valid", dtype="<U5")
    split[rank < test_end] = "test"
    split[rank < train_end] = "train"
    return split, rank


def _per_split(split: np.ndarray, weights: np.ndarray) -> dict[str, int]:
    out = {"full": int(weights.sum())}
    for name in SPLITS:
        out[name] = int(weights[split == name].sum())
    return out


def _version(table: pa.Table) -> str:
    if VERSION_COLUMN not in table.column_names or table.num_rows == 0:
        return ""
    first = table.column(VERSION_COLUMN)[0].as_py()
    return "" if first is None else str(first).strip()


def _ids(column: pa.ChunkedArray, path: Path) -> np.ndarray:
    number, junk = _numbers(column)
    bad = np.flatnonzero(np.isnan(number) | junk | (number != np.trunc(number)))
    if len(bad):
        rows = ", ".join(str(int(i) + 2) for i in bad[:5]) + (", ..." if len(bad) > 5 else "")
        raise DataFileError(path, f"{len(bad)} respondent(s) without a numeric interview ID "
                                  f"(lines {rows})", line=int(bad[0]) + 2, column=ID_COLUMN)
    return number.astype(np.int64)


def _numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """float64 values (NaN = blank or junk) and the junk mask, for a string or numeric column."""
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type) \
            or pa.types.is_null(column.type):
        number = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
        junk = np.isinf(number)
    else:
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            column = pc.cast(column, pa.string())
        try:
            number = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
            junk = np.isinf(number)
        except pa.ArrowInvalid:  # slow path: spaces around numbers, or real junk
            trimmed = pc.utf8_trim_whitespace(column)
            numeric = pc.match_substring_regex(trimmed, _NUMBER)
            number = pc.cast(pc.if_else(numeric, trimmed, None), pa.float64())
            number = number.to_numpy(zero_copy_only=False)
            junk = np.asarray(pc.and_(pc.is_valid(column), pc.invert(numeric)).to_numpy(
                zero_copy_only=False), dtype=bool) | np.isinf(number)
        number = np.array(number, dtype=np.float64)
    number[junk] = np.nan
    return number, junk


def _codes(column: pa.ChunkedArray, kept: np.ndarray, name: str, meta: WVBMetadata,
           counts: dict[str, dict[str, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes after the remaps (``_BLANK`` = blank/dropped), with junk and fraction masks."""
    codes = _integers(column)
    if codes is not None:  # fast path: a clean integer column, as in the real file
        codes = codes[kept]
        junk = fraction = np.zeros(len(codes), dtype=bool)
    else:
        number, junk = _numbers(column)
        number, junk = number[kept], junk[kept]
        blank = np.isnan(number)
        whole = np.where(blank, 0.0, np.trunc(number))
        fraction = ~blank & (whole != number)
        codes = np.where(blank, _BLANK, whole.astype(np.int64))
    remap = meta.adjustments.get(name)
    if remap:
        remapped = codes.copy()
        for source, target in remap.items():
            hit = (codes == int(source)) & ~fraction  # the original only remapped integer codes
            remapped[hit] = int(target) if target != "" else _BLANK
        codes = remapped
    _count(counts["junk"], name, int(junk.sum()))
    _count(counts["non_integer"], name, int(fraction.sum()))
    return codes, junk, fraction


def _integers(column: pa.ChunkedArray) -> np.ndarray | None:
    """int64 codes (``_BLANK`` for blank) if every cell is a plain integer, else None."""
    if pa.types.is_integer(column.type):
        parsed = pc.cast(column, pa.int64())
    elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        try:
            parsed = pc.cast(column, pa.int64())
        except pa.ArrowInvalid:
            return None
    else:
        return None
    return np.asarray(pc.fill_null(parsed, _BLANK).to_numpy(zero_copy_only=False),
                      dtype=np.int64)


def _ordinal(column: pa.ChunkedArray, kept: np.ndarray, name: str, meta: WVBMetadata,
             counts: dict[str, dict[str, int]]) -> np.ndarray:
    """int16 answers: negative/blank/dropped/junk -> MISSING, everything else kept."""
    codes, _, _ = _codes(column, kept, name, meta, counts)
    answer = (codes != _BLANK) & (codes >= 0)
    too_big = answer & (codes > np.iinfo(np.int16).max)
    if too_big.any():
        _count(counts["junk"], name, int(too_big.sum()))
        answer &= ~too_big
    question = meta.questions[name]
    if question.scale_min is not None and question.scale_max is not None:
        outside = answer & ((codes < question.scale_min) | (codes > question.scale_max))
        _count(counts["out_of_range"], name, int(outside.sum()))
    return np.where(answer, codes, MISSING).astype(np.int16)


def _labels(column: pa.ChunkedArray, kept: np.ndarray, name: str, meta: WVBMetadata,
            counts: dict[str, dict[str, int]]) -> pa.Array:
    """Codebook label of each code, else the value as text; junk kept verbatim."""
    codes, junk, fraction = _codes(column, kept, name, meta, counts)
    choices = meta.choices(name)
    index = np.full(len(codes), -1, dtype=np.int64)
    whole = (codes != _BLANK) & ~fraction
    unique, inverse = np.unique(codes[whole], return_inverse=True)
    dictionary = [choices.get(str(code), str(code)) for code in unique.tolist()]
    index[whole] = inverse
    odd = np.flatnonzero(junk | fraction)  # rare: kept as text like the original
    if len(odd):
        raw = column.take(pa.array(kept[odd])).to_pylist()
        for offset, (row, text) in enumerate(zip(odd.tolist(), raw, strict=True)):
            index[row] = len(dictionary) + offset
            dictionary.append(text if junk[row] else _float_text(str(text)))
    return pc.take(pa.array(dictionary, pa.string()), pa.array(index, mask=index < 0))


def _float_text(text: str) -> str:
    """How pandas would have shown a non-integer number it parsed as float (``'2.50'`` -> 2.5)."""
    try:
        return str(float(text))
    except ValueError:
        return text


def _strings_of(codes: np.ndarray, missing: np.ndarray) -> pa.Array:
    unique, inverse = np.unique(codes, return_inverse=True)
    dictionary = pa.array([str(c) for c in unique.tolist()], pa.string())
    return pc.take(dictionary, pa.array(inverse.astype(np.int64), mask=missing))


def _count(found: dict[str, int], name: str, n: int) -> None:
    if n:
        found[name] = found.get(name, 0) + n


# ------------------------------------------------------------------------------- write and load

def write_build(tables: WVSTables, out_dir: Path, tsv: bool = False) -> None:
    """Parquet tables + manifest.json (written last: its presence marks a complete build).

    With ``tsv`` also the original layout ``{full,train,valid,test}/{split}_{demographic,value}_qa
    .tsv``: full in file order, each split in shuffled order, values as integers or blank.
    The files are written by a few threads (Arrow's writers release the GIL).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    common = {ID_COLUMN: pa.array(tables.ids, pa.int64()),
              "split": pa.array(tables.split.tolist(), pa.string()).dictionary_encode(),
              "shuffle_rank": pa.array(tables.shuffle_rank, pa.int64())}
    if tables.weights is not None:
        common[WEIGHT_COLUMN] = pa.array(tables.weights, pa.float64())
    value_table = _value_table(tables)
    jobs: list[Callable[[], None]] = [
        partial(pq.write_table, pa.table({**common, **{c: value_table.column(c)
                                                       for c in tables.value_columns}}),
                out_dir / VALUE_FILE),
        partial(pq.write_table, pa.table({**common, **{c: tables.demographics.column(c)
                                                       for c in tables.demographic_columns}}),
                out_dir / DEMOGRAPHIC_FILE)]
    if tsv:
        jobs += _tsv_jobs(tables, value_table, out_dir)
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()
    (out_dir / MANIFEST).write_text(json.dumps(tables.manifest, indent=2) + "\n", encoding="utf-8")


def _value_table(tables: WVSTables) -> pa.Table:
    arrays = {ID_COLUMN: pa.array(tables.ids, pa.int64())}
    for j, name in enumerate(tables.value_columns):
        column = np.ascontiguousarray(tables.values[:, j])
        arrays[name] = pa.array(column, pa.int16(), mask=column == MISSING)
    return pa.table(arrays)


def _tsv_jobs(tables: WVSTables, value_table: pa.Table, out_dir: Path) -> list[Callable[[], None]]:
    """Byte-for-byte what pandas ``to_csv(sep='\\t', index=False)`` wrote in the original."""
    orders = {"full": np.arange(len(tables.ids))}
    by_rank = np.argsort(tables.shuffle_rank, kind="stable")
    for name in SPLITS:
        orders[name] = by_rank[tables.split[by_rank] == name]
    demographic_table = tables.demographics.select([ID_COLUMN, *tables.demographic_columns])
    jobs: list[Callable[[], None]] = []
    for split in ("full", "train", "valid", "test"):
        folder = out_dir / split
        folder.mkdir(exist_ok=True)
        order = pa.array(orders[split])
        jobs.append(partial(_write_tsv, value_table, order, folder / f"{split}_value_qa.tsv"))
        jobs.append(partial(_write_tsv, demographic_table, order,
                            folder / f"{split}_demographic_qa.tsv"))
    return jobs


def _write_tsv(table: pa.Table, rows: pa.Array, path: Path) -> None:
    """pandas/csv QUOTE_MINIMAL output; Arrow writes it unless a cell needs quotes (then csv)."""
    table = table.take(rows)
    header = "\t".join(table.column_names) + "\n"
    options = pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
    with open(path, "wb") as handle:
        handle.write(header.encode("utf-8"))
        try:
            if table.num_rows:
                pacsv.write_csv(table, handle, options)
            return
        except pa.ArrowInvalid:  # a tab, quote or line break in a label: quote like pandas
            pass
    with open(path, "w", encoding="utf-8", newline="") as text:
        writer = csv.writer(text, delimiter="\t", lineterminator="\n")
        writer.writerow(table.column_names)
        columns = [table.column(c).to_pylist() for c in table.column_names]
        writer.writerows(zip(*columns, strict=True))


def load_build(out_dir: Path) -> WVSTables:
    """Read back what ``write_build`` wrote."""
    out_dir = Path(out_dir)
    manifest_path = out_dir / MANIFEST
    if not manifest_path.is_file():
        raise DataFileError(out_dir, f"not a WorldValuesBench build (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(manifest_path, f"unreadable build manifest ({exc})") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise DataFileError(manifest_path, f"not a {FORMAT} v{FORMAT_VERSION} manifest; "
                                           "rebuild from the WVS file")
    try:
        value = pq.read_table(out_dir / VALUE_FILE)
        demo = pq.read_table(out_dir / DEMOGRAPHIC_FILE)
    except (OSError, pa.ArrowException) as exc:
        raise DataFileError(out_dir, f"incomplete or damaged build ({exc})") from None
    fixed = {ID_COLUMN, "split", "shuffle_rank", WEIGHT_COLUMN}
    value_columns = [c for c in value.column_names if c not in fixed]
    values = np.empty((value.num_rows, len(value_columns)), dtype=np.int16, order="F")
    for j, name in enumerate(value_columns):
        values[:, j] = pc.fill_null(value.column(name), MISSING).to_numpy()
    demographic_columns = [c for c in demo.column_names if c not in fixed]
    ids = value.column(ID_COLUMN).to_numpy().astype(np.int64)
    split_column = pc.cast(value.column("split"), pa.string())
    return WVSTables(
        ids=ids,
        split=np.asarray(split_column.to_pylist(), dtype="<U5"),
        shuffle_rank=value.column("shuffle_rank").to_numpy().astype(np.int64),
        value_columns=value_columns, values=values, demographic_columns=demographic_columns,
        demographics=demo.select([ID_COLUMN, *demographic_columns]), manifest=manifest,
        weights=(value.column(WEIGHT_COLUMN).to_numpy() if WEIGHT_COLUMN in value.column_names
                 else None))


def load_tables(path: Path, meta: WVBMetadata) -> WVSTables:
    """A build directory, or a raw WVS file built once into the cache (keyed by its sha256)."""
    path = Path(path)
    if path.is_dir():
        return load_build(path)
    if not path.is_file():
        raise DataFileError(path, "no such file or build directory")
    sha256 = sources.sha256_of(path)
    target = sources.cache_dir() / "wvb-builds" / sha256
    if (target / MANIFEST).is_file():
        try:
            return load_build(target)
        except DataFileError:
            shutil.rmtree(target, ignore_errors=True)  # stale format: rebuild below
    tables = _build(path, meta, sha256)
    if target.exists() and not (target / MANIFEST).is_file():  # leftovers of a failed build
        shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{sha256[:12]}-", dir=target.parent))
    try:
        write_build(tables, scratch)
        try:
            os.rename(scratch, target)  # atomic; fails if another process got there first
        except OSError:
            if not (target / MANIFEST).is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return tables
