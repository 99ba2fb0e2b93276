"""The WorldValuesBench task: items, prompts, variants, options and baselines, on synthetic data."""

import pytest

from valuescope.benchmarks.worldvaluesbench import prompts
from valuescope.benchmarks.worldvaluesbench.benchmark import BENCHMARK
from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata
from valuescope.benchmarks.worldvaluesbench.synth import synthesize
from valuescope.core import pipeline
from valuescope.models import spec as model_specs


def task(variant="probe", **options):
    return BENCHMARK.create(variant, {**BENCHMARK.defaults(), **options})


def run(tmp_path, model, variant="probe", limit=None, **options):
    config = pipeline.RunConfig(task=f"worldvaluesbench:{variant}", options=options,
                                model=model_specs.parse(model), limit=limit)
    return pipeline.execute(config, tmp_path / model.replace("/", "-"), show_progress=False)


def test_probe_items_match_the_shipped_probe_set():
    items = task().load(None)
    assert len(items) == 8280
    assert len({i.data["question"] for i in items}) == 36
    assert len({i.data["group"] for i in items}) == 46
    assert all(i.data["gt"] is not None for i in items)  # the synthetic file answers every probe cell


def test_prompt_lists_demographics_readme_order_and_nodemo_has_none():
    meta = load_metadata()
    probe = task()
    item = probe.load(1)[0]
    text = probe.requests(item)[0].messages[0].content
    assert text.startswith("Person X provided the following demographic information")
    first_three = [meta.questions[v].text for v in prompts.GROUPING]
    positions = [text.index(q) for q in first_three]
    assert positions == sorted(positions)
    assert meta.questions[item.data["question"]].text in text
    assert '"answer as a score"' in text
    nodemo = task("probe-nodemo")
    bare = nodemo.requests(nodemo.load(1)[0])[0].messages[0].content
    assert "demographic information" not in bare
    assert bare.startswith("What would Person X answer")


def test_distribution_mode_with_uniform_baseline_equals_the_uniform_baseline(tmp_path):
    entry = run(tmp_path, "baseline/uniform", limit=720, **{"answer-mode": "distribution"})
    for scores in entry["metrics"]["per_question"].values():
        assert scores["w1"] == pytest.approx(scores["uniform_w1"], abs=1e-12)


def test_majority_baseline_model_reproduces_the_majority_baseline(tmp_path):
    entry = run(tmp_path, "baseline/majority", limit=720)
    for scores in entry["metrics"]["per_question"].values():
        assert scores["w1"] == pytest.approx(scores["majority_w1"], abs=1e-12)


def test_missing_respondents_are_reported_not_fatal(tmp_path):
    wvs = tmp_path / "small.csv"
    synthesize(500, 1, wvs, load_metadata())  # only the first 500 probe respondents
    entry = run(tmp_path, "baseline/uniform", wvs=str(wvs))
    counts = entry["metrics"]["counts"]
    assert counts["missing_respondents"] == 4860 - 500
    assert 0 < counts["status"]["no_respondent"] < 8280
    assert entry["data"]["missing_respondents"] == 4860 - 500


def test_sample_variant_is_stratified():
    items = task("sample", **{"per-group": 3, "split": "full"}).load(None)
    per_cell: dict = {}
    for item in items:
        key = (item.data["question"], item.data["group"])
        per_cell[key] = per_cell.get(key, 0) + 1
    assert set(per_cell.values()) == {3}
    assert len({q for q, _ in per_cell}) == 36
    assert not any("||" in g or g.endswith("|") for _, g in per_cell)  # every group fully labelled


def test_fix_masters_admits_masters_holders():
    quirk = task("sample", **{"per-group": 1, "split": "full"})
    fixed = task("sample", **{"per-group": 1, "split": "full", "fix-masters": True})
    assert quirk._education_levels().get("Master or equivalent (ISCED 7)", "") == ""
    assert fixed._education_levels().get("Master or equivalent (ISCED 7)", "") == "Tertiary"


def test_weights_option_changes_only_scoring(tmp_path):
    entry = run(tmp_path, "baseline/random", limit=360)
    from valuescope.core.pipeline import rescore

    weighted = rescore(tmp_path / "baseline-random", {"weights": True})
    assert weighted["options"]["weights"] is True
    plain = entry["metrics"]["per_question"]
    changed = [q for q, s in weighted["metrics"]["per_question"].items()
               if s["w1"] != pytest.approx(plain[q]["w1"], abs=1e-12)]
    assert changed  # synthetic weights differ between respondents, so W1 moves
