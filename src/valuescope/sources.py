"""Pinned upstream data files: where they live, how to verify them, and how to find a local copy.

Resolution order for a file: an explicit path (``--data``) -> ``$VALUESCOPE_DATA`` (a mirror folder
laid out as ``github/<owner>/<repo>/<path>``) -> the user cache (``~/.cache/valuescope/data``) ->
download from the pinned URL into the cache (never when ``VALUESCOPE_OFFLINE=1``).
Every copy is checked against its sha256 (or git blob id when no sha256 is known yet). Files of a
moving upstream whose checksum cannot be known in advance (the NaVAB dataset on the Hugging Face
Hub) are pinned on first download: the sha256 and the upstream revision are written beside the
cached copy, every later use checks against them, and run manifests record them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valuescope.errors import UserError

ENV_MIRROR = "VALUESCOPE_DATA"
ENV_CACHE = "VALUESCOPE_CACHE"
ENV_OFFLINE = "VALUESCOPE_OFFLINE"  # set to 1: never download, only use local copies


@dataclass(frozen=True)
class SourceFile:
    key: str  # short stable name used in code, e.g. "wvb/question_metadata.json"
    mirror_path: str  # path inside a mirror folder: github/<owner>/<repo>/<path>
    url: str
    sha256: str | None
    size: int | None
    licence: str
    git_blob: str | None = None  # for files whose sha256 is not yet known
    #: No checksum known in advance: the first download records one (see the module docstring).
    pin_on_download: bool = False


WVB_COMMIT = "635db7455e2c656978929210eba984bc09ddd659"
VALUECSV_COMMIT = "1a83b7df22a61c830eba0b01dc12ccc69de3a84c"
CVALUES_COMMIT = "3018d3886890d04c95c9051c7055fb19e36ef592"
NVA_COMMIT = "eefe1a8e568f1f6cd7db0d7060d91a571fa069ad"


def _github(key: str, owner: str, repo: str, commit: str, path: str, sha256: str | None,
            size: int | None, licence: str, git_blob: str | None = None) -> SourceFile:
    url = f"https://raw.githubusercontent.com/{owner}/{repo}/{commit}/{urllib.parse.quote(path)}"
    return SourceFile(key, f"github/{owner}/{repo}/{path}", url, sha256, size, licence, git_blob)


def _wvb(name: str, path: str, sha256: str, size: int) -> SourceFile:
    return _github(f"wvb/{name}", "Demon702", "WorldValuesBench", WVB_COMMIT, path, sha256, size,
                   "none stated (attribute WorldValuesBench; do not redistribute)")


def _huggingface(key: str, owner: str, dataset: str, path: str, licence: str) -> SourceFile:
    # resolve/main follows the dataset's moving main branch; the download records its revision.
    url = f"https://huggingface.co/datasets/{owner}/{dataset}/resolve/main/{urllib.parse.quote(path)}"
    return SourceFile(key, f"huggingface/{owner}/{dataset}/{path}", url, None, None, licence,
                      pin_on_download=True)


_NAVAB_FOLDERS = ("China", "UK", "US", "french", "german")
_NAVAB_FILES = ("human_statement_result.json", "official_statement_result.json")

_WVB_OUT = "evaluation/model_outputs"
SOURCES: dict[str, SourceFile] = {s.key: s for s in [
    _wvb("samples.tsv", "WorldValuesBench/probe/samples.tsv",
         "f17c5f6dd41411f8ab4574bc3feafc40e24a7009d75c065537723ea72de24182", 645564),
    _wvb("answer_adjustment.json", "dataset_construction/answer_adjustment.json",
         "4c26cbb279207811f2a19d180163bef1c0092cf8be39e70a71e0eddff9a08467", 621),
    _wvb("codebook.json", "dataset_construction/codebook.json",
         "28636cdc6bf0103895ab2faa09c391fdee2da52505f5362ee47f90223845e85e", 733382),
    _wvb("country2continent.csv", "dataset_construction/probe_set_construction/country2continent.csv",
         "6ffb7b2ac3f4a6ec334bfbdc07137b9d572f35cc6423a25db54f3fc64844c239", 3520),
    _wvb("education2level.csv", "dataset_construction/probe_set_construction/education2level.csv",
         "951907b913ab4e95acc6678bf36162e7ab56e6a44fcbd0f36edcc7a6f5b39cd6", 517),
    _wvb("value_questions.json", "dataset_construction/probe_set_construction/value_questions.json",
         "8e70b0eae85f8cd89318c308907d3c792cdb323df8d6b50da9194a0c883d114d", 6814),
    _wvb("question_metadata.json", "dataset_construction/question_metadata.json",
         "338b49bfb22bbf45d3c13d8fd16a9ba307a632f820b2f0ff3f1eba996de1ed48", 109116),
    _wvb("alpaca.tsv", f"{_WVB_OUT}/alpaca.tsv",
         "bf742b61495c2930a95f1db166313b4ece31d0c5faba3dc14b6f77663aa9fef5", 137388),
    _wvb("alpaca_with_demographics.tsv", f"{_WVB_OUT}/alpaca_with_demographics.tsv",
         "08840276408b3250539cdb5d778ea2824b5a0bdc62a484f428f3c66ea1ec45dd", 138395),
    _wvb("gpt-3.5.tsv", f"{_WVB_OUT}/gpt-3.5.tsv",
         "f5bc43e20cffc6d57ae5142337bb683353902400b8eb6accef4a667e32c87578", 136898),
    _wvb("gpt-3.5_with_demographics.tsv", f"{_WVB_OUT}/gpt-3.5_with_demographics.tsv",
         "fe6bc19c08ea386be3831f80aace6a0ba6c4b697482fa014a4cdee91a1af6d37", 136511),
    _wvb("mixtral.tsv", f"{_WVB_OUT}/mixtral.tsv",
         "72a38ed81cc3e045f8c9b5e7b15ee1537aeebc345918da9e53f3ed26fd5e21d6", 136760),
    _wvb("mixtral_with_demographics.tsv", f"{_WVB_OUT}/mixtral_with_demographics.tsv",
         "191518c08a40b4d47a25fff56d295eacb175379cb72ba600bbab1d94762e63a8", 136497),
    _wvb("vicuna.tsv", f"{_WVB_OUT}/vicuna.tsv",
         "7513a58955b91b19d8251a4e4af868b091ddfd916066c61e351d97df62bead7b", 136587),
    _wvb("vicuna_with_demographics.tsv", f"{_WVB_OUT}/vicuna_with_demographics.tsv",
         "d69dae45eba8104265fb089b1dc2bb05643d4cc08b30ee6b3f44e7c736a5153a", 136430),
    _wvb("sample_input.tsv", "evaluation/sample_input.tsv",
         "c76296a282680b359270e63d70383d921c2c129602c6fdd14409344fffee5049", 122),
    _wvb("sample_output.json", "evaluation/sample_output.json",
         "b9f121b41e749d1ccf3e2be1b9f5411c40b2838ef6973a4dff429e927d3c4b5e", 77),
    _github("valuecsv/ValueCSV5000.xlsx", "ValueCSV", "ValueCSV", VALUECSV_COMMIT,
            "Dataset/ValueCSV5000.xlsx",
            "121b4d2048e78ce962e6e2fb9ebc8c579aae55c0f7e48c8ec0911844a76f1901", 2893486, "CC-BY-4.0"),
    _github("valuecsv/quest100.xlsx", "ValueCSV", "ValueCSV", VALUECSV_COMMIT,
            "Dataset/quest100.xlsx",
            "711be47a2df9d6943a091a671e4d3162f6cdc0a7f010833f87b7a05a064163fb", 331975, "CC-BY-4.0"),
    _github("cvalues/cvalues_responsibility_prompts.jsonl", "X-PLUG", "CValues", CVALUES_COMMIT,
            "dataset/cvalues_responsibility_prompts.jsonl",
            "ee99050d4a8933829697c796e279b83795838feacefc84cdd06856bad01bfff4", 102859, "Apache-2.0"),
    _github("cvalues/cvalues_responsibility_mc.jsonl", "X-PLUG", "CValues", CVALUES_COMMIT,
            "dataset/cvalues_responsibility_mc.jsonl", None, None, "Apache-2.0",
            git_blob="28849571207225647cb9882d55ea4a4c38509f5d"),
    _github("navab/examples/filtered_statement_result.json", "DoinJ", "NVA-Pipeline", NVA_COMMIT,
            "4_Statement Source Judgment/data/filtered_statement_result.json",
            "238d81c473283d1edc64d6b4cd5a7d5f10216a50927025349a7346083b718a48", 348329, "MIT"),
    _github("navab/examples/source_statement_result.json", "DoinJ", "NVA-Pipeline", NVA_COMMIT,
            "4_Statement Source Judgment/data/source_statement_result.json",
            "6eba5892b4919d08f91a9e76fbeae17a1501c634f306d94bec52361232dfa061", 156242, "MIT"),
    _github("navab/examples/human_statement_result.json", "DoinJ", "NVA-Pipeline", NVA_COMMIT,
            "6_Evaluation/data/human_statement_result.json",
            "539f3c81b3152989d8d3ff91970e5e811c544a52b7ae0d0b4e42b5b333845780", 79565, "MIT"),
    _github("navab/examples/official_statement_result.json", "DoinJ", "NVA-Pipeline", NVA_COMMIT,
            "6_Evaluation/data/official_statement_result.json",
            "04fc3f33967ce55fd7509920e3aa73435d0410a69bc1b76242ca9b96a41d5eb8", 89011, "MIT"),
    *(_huggingface(f"navab/hf/{folder}/{name}", "JadenGGGeee", "NaVAB", f"{folder}/{name}",
                   "apache-2.0") for folder in _NAVAB_FOLDERS for name in _NAVAB_FILES),
]}


def cache_dir() -> Path:
    """Root of valuescope's user cache (data, converted models, builds)."""
    root = os.environ.get(ENV_CACHE)
    return Path(root) if root else Path.home() / ".cache" / "valuescope"


def sha256_of(path: Path) -> str:
    """sha256 of a file."""
    return _digest(path, "sha256")


def git_blob_of(path: Path) -> str:
    """The file's git blob id (sha1 of ``blob <size>\\0`` and the content)."""
    return _digest(path, "git-blob")


def _digest(path: Path, kind: str) -> str:
    # Remembered for this process while the file is unchanged (same inode, size, mtime and
    # ctime), so a file verified on resolve and then recorded in a manifest is read once.
    stat = path.stat()
    return _digest_unchanged(str(Path(path).resolve()), kind, stat.st_ino, stat.st_size,
                             stat.st_mtime_ns, stat.st_ctime_ns)


@functools.lru_cache(maxsize=256)
def _digest_unchanged(path: str, kind: str, inode: int, size: int, mtime_ns: int,
                      ctime_ns: int) -> str:
    digest = hashlib.sha256() if kind == "sha256" else hashlib.sha1(b"blob %d\0" % size)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pin_file(path: Path) -> Path:
    """Where the sha256 and revision recorded at download sit, beside the downloaded copy."""
    return path.with_name(path.name + ".pin.json")


def recorded_pin(path: Path) -> dict[str, Any] | None:
    """What the first download of ``path`` recorded (url, revision, sha256), if anything."""
    try:
        pin = json.loads(pin_file(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return pin if isinstance(pin, dict) else None


def verify(source: SourceFile, path: Path) -> None:
    """Raise UserError unless ``path`` holds exactly the pinned file."""
    if source.pin_on_download and not source.sha256:
        pin = recorded_pin(path)
        # A mirror copy the user put there has no record: it is taken as given (and its sha256
        # goes into the run manifest).
        if pin and pin.get("sha256") != sha256_of(path):
            raise UserError(f"{path}: no longer the file downloaded from {pin.get('url')} "
                            f"(sha256 {pin.get('sha256')}); delete it and {pin_file(path).name} "
                            "to download it again")
        return
    if source.sha256:
        actual = sha256_of(path)
        if actual != source.sha256:
            raise UserError(f"{path}: checksum mismatch for {source.key} "
                            f"(sha256 {actual}, expected {source.sha256}; upstream {source.url})")
    elif source.git_blob:
        actual = git_blob_of(path)
        if actual != source.git_blob:
            raise UserError(f"{path}: git blob id {actual} does not match {source.git_blob} "
                            f"expected for {source.key} (upstream {source.url})")


def get_source(key: str) -> SourceFile:
    try:
        return SOURCES[key]
    except KeyError:
        raise UserError(f"unknown data file {key!r}; known: {', '.join(sorted(SOURCES))}") from None


def candidates(key: str) -> list[Path]:
    """Places where a copy of ``key`` may already be, in resolution order (mirror, then cache)."""
    source = get_source(key)
    found = []
    mirror = os.environ.get(ENV_MIRROR)
    if mirror:
        found.append(Path(mirror) / source.mirror_path)
    found.append(cache_dir() / "data" / source.mirror_path)
    return found


def resolve(key: str, explicit: Path | None = None, download: bool | None = None) -> Path:
    """Return a verified local path for ``key``, or raise a UserError that says how to get it."""
    source = get_source(key)
    if explicit is not None:
        if not explicit.is_file():
            raise UserError(f"{explicit}: no such file (given for {source.key})")
        return explicit  # the user's own file: may be a newer or local variant, so not checksummed
    for path in candidates(key):
        if path.is_file():
            verify(source, path)
            return path
    if download is None:
        download = os.environ.get(ENV_OFFLINE, "") in ("", "0")
    if download:
        return fetch(source)
    raise UserError(
        f"data file {source.key} is not available offline. Get it with `valuescope data pull` "
        f"(downloads {source.url}), or point ${ENV_MIRROR} at a mirror folder holding "
        f"{source.mirror_path}")


class _RevisionRecorder(urllib.request.HTTPRedirectHandler):
    """Keeps the Hub's ``X-Repo-Commit`` header, which comes on the redirect, not the file."""

    revision: str | None = None

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.revision = headers.get("X-Repo-Commit") or self.revision
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(source: SourceFile, timeout: float = 60.0) -> Path:
    """Download ``source`` into the cache, verify it (or pin it), and return its path."""
    target = cache_dir() / "data" / source.mirror_path
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    recorder = _RevisionRecorder()
    try:
        opener = urllib.request.build_opener(recorder)
        with opener.open(source.url, timeout=timeout) as response, open(partial, "wb") as out:
            revision = response.headers.get("X-Repo-Commit") or recorder.revision
            while chunk := response.read(1 << 20):
                out.write(chunk)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UserError(f"cannot download {source.key} from {source.url}: {exc}. Offline? Set "
                        f"${ENV_MIRROR} to a mirror folder holding {source.mirror_path}") from None
    try:
        verify(source, partial)
    except UserError:
        partial.unlink(missing_ok=True)
        raise
    if source.pin_on_download and not source.sha256:
        pin = {"url": source.url, "revision": revision, "sha256": sha256_of(partial),
               "downloaded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        pin_file(target).write_text(json.dumps(pin, indent=1) + "\n", encoding="utf-8")
    partial.replace(target)
    return target
