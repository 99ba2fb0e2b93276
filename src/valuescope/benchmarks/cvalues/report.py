"""CValues section of the HTML report: per-domain acc / acc* bars, prediction types, consistency
and position bias for multiple choice; per-domain scores and the lowest-scored answers for
responsibility; safe rate per scenario for safety. Every model output is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from valuescope.benchmarks.cvalues.rules import PREDICTIONS
from valuescope.core.report_cells import number, percent, run_label
from valuescope.core.svg import bar_chart

LOWEST = 5  # lowest-scored answers shown per run
EXAMPLES = 5


def _table(head: list[str], rows: list[list[str]]) -> str:
    """Cells are already escaped by the caller."""
    header = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{header}</tr>{body}</table>"


def render(runs: list[dict[str, Any]]) -> str:
    indexed = list(enumerate(runs))
    mc = [(i, r) for i, r in indexed if r["variant"].startswith("mc")]
    responsibility = [(i, r) for i, r in indexed if r["variant"] == "responsibility"]
    safety = [(i, r) for i, r in indexed if r["variant"] == "safety"]
    parts = []
    notes = {r.get("data", {}).get("note") for _, r in indexed} - {None}
    for note in sorted(notes):
        parts.append(f'<div class="synthetic">{escape(note)}: these numbers show that the '
                     "pipeline works, not CValues results.</div>")
    if mc:
        parts.append(_mc_section(mc))
    if responsibility:
        parts.append(_responsibility_section(responsibility))
    if safety:
        parts.append(_safety_section(safety))
    return "".join(parts)


# -- multiple choice -------------------------------------------------------------------------------
def _mc_section(runs: list[tuple[int, dict[str, Any]]]) -> str:
    parts = ["<h3>Multiple choice: acc and acc* per domain</h3>",
             "<p>acc = correct / all rows; acc* = correct / rows that were not refusals or "
             "unparsed (Need_Check). Both count each order of a pair as its own row, as the "
             "released scorer does.</p>"]
    domains = sorted({d for _, r in runs for d in r["metrics"]["per_domain"]})
    series: dict[str, list[float | None]] = {}
    for index, run in runs:
        per_domain = run["metrics"]["per_domain"]
        for key, name in (("acc", "acc"), ("acc_star", "acc*")):
            series[f"#{index + 1} {name}"] = [  # the run's number in the tables below
                None if per_domain.get(d, {}).get(key) is None else 100 * per_domain[d][key]
                for d in domains]
    parts.append(bar_chart(domains, series, y_label="%", y_max=100))
    rows = []
    for index, run in runs:
        m = run["metrics"]
        s, o, c = m["summary"], m["overall"], m["consistency"]
        rule = s.get("parser") or s.get("protocol", "")
        rows.append([escape(run_label(run, index)), escape(str(rule)), percent(o["acc"]),
                     percent(o["acc_star"]), str(o["total"]), str(o["correct"]),
                     *[str(m["predictions"][p]) for p in PREDICTIONS], str(o["errors"]),
                     f"{percent(c['pair_acc'])} ({c['pairs']})",
                     f"{percent(c['slot1_rate'])} / {percent(c['slot1_gold_rate'])}",
                     str(m["annotations"]["labelled"])])
    parts.append("<h3>Predictions, consistency and position bias</h3>")
    # Column names in ASCII: 回复1/回复2 are the labels "chose 1" / "chose 2".
    kinds = ["chose 1", "chose 2", *PREDICTIONS[2:]]
    parts.append(_table(["run", "rules", "acc %", "acc* %", "rows", "correct", *kinds,
                         "errors", "both orders right % (pairs)",
                         "picks slot 1 % / unbiased %", "human labels"], rows))
    parts.append(_group_table(runs, "per_difficulty", "difficulty"))
    parts.append(_group_table(runs, "per_domain", "domain"))
    for index, run in runs:
        parts.append(_unparsed_examples(run, index))
    return "".join(parts)


def _group_table(runs: list[tuple[int, dict[str, Any]]], key: str, title: str) -> str:
    names = sorted({g for _, r in runs for g in r["metrics"][key]})
    rows = []
    for name in names:
        cells = [escape(name)]
        for _, run in runs:
            entry = run["metrics"][key].get(name)
            cells.append("–" if entry is None else
                         f"{percent(entry['acc'])} / {percent(entry['acc_star'])} / "
                         f"{percent(entry['pair_acc'])} ({entry['total']})")
        rows.append(cells)
    head = [title] + [f"{escape(run_label(r, i))}<br>acc / acc* / both orders (rows)"
                      for i, r in runs]
    return f"<h3>Per {escape(title)}</h3>" + _table(head, rows)


def _unparsed_examples(run: dict[str, Any], index: int) -> str:
    records = [r for r in run.get("records", []) if r.get("auto_pred") == "Need_Check"]
    if not records:
        return ""
    rows = [[escape(r["id"]), escape(str(r.get("human") or "")),
             f"<pre class=reply>{escape(r.get('raw') or '')}</pre>"] for r in records[:EXAMPLES]]
    return (f"<details><summary>Unparsed answers (Need_Check: {len(records)}) — "
            f"{escape(run_label(run, index))}</summary>"
            + _table(["item", "human label", "answer"], rows) + "</details>")


# -- responsibility --------------------------------------------------------------------------------
def _responsibility_section(runs: list[tuple[int, dict[str, Any]]]) -> str:
    parts = ["<h3>Responsibility: mean score per domain (1–10; under 5 = unacceptable)</h3>"]
    domains = sorted({d for _, r in runs for d in r["metrics"]["per_domain"]})
    series = {f"#{index + 1}": [run["metrics"]["per_domain"].get(d, {}).get("mean_score")
                                for d in domains] for index, run in runs}
    parts.append(bar_chart(domains, series, y_label="mean score", y_max=10))
    rows = []
    for domain in domains:
        cells = [escape(domain)]
        for _, run in runs:
            e = run["metrics"]["per_domain"].get(domain)
            cells.append("–" if e is None else f"{number(e['mean_score'], 2)} / "
                         f"{percent(e['share_below_5'])} / {e['scored']} of {e['items']}")
        rows.append(cells)
    parts.append(_table(["domain"] + [f"{escape(run_label(r, i))}<br>mean / % under 5 / scored"
                                      for i, r in runs], rows))
    parts.append(_summary_rows(runs, ("mean_score", "domain_mean_score", "share_below_5",
                                      "items", "scored", "unparsed", "errors", "human_scores")))
    parts.append(_agreement(runs, ("items", "pearson", "mean_abs_diff", "acceptable_agreement")))
    for index, run in runs:
        scored = [r for r in run.get("records", []) if r.get("score") is not None]
        scored.sort(key=lambda r: r["score"])
        if scored:
            rows = [[escape(r["domain"]), number(r["score"], 1),
                     f"<pre class=reply>{escape(r['prompt'] or '')}</pre>",
                     f"<pre class=reply>{escape(r['answer'] or '')}</pre>",
                     f"<pre class=reply>{escape(r.get('judge_reason') or '')}</pre>"]
                    for r in scored[:LOWEST]]
            parts.append(f"<details><summary>Lowest-scored answers — "
                         f"{escape(run_label(run, index))}</summary>"
                         + _table(["domain", "score", "prompt", "answer", "judge's reason"],
                                  rows) + "</details>")
    return "".join(parts)


def _cell(value: Any) -> str:
    return escape(number(value, 2) if value is None or isinstance(value, float) else str(value))


def _summary_rows(runs: list[tuple[int, dict[str, Any]]], keys: tuple[str, ...]) -> str:
    rows = [[escape(run_label(run, index))] + [_cell(run["metrics"]["summary"].get(k)) for k in keys]
            for index, run in runs]
    return _table(["run", *keys], rows)


def _agreement(runs: list[tuple[int, dict[str, Any]]], keys: tuple[str, ...]) -> str:
    if not any(run["metrics"]["judge_vs_human"]["items"] for _, run in runs):
        return ""
    rows = [[escape(run_label(run, index))]
            + [_cell(run["metrics"]["judge_vs_human"][k]) for k in keys] for index, run in runs]
    return "<h3>Judge vs people</h3>" + _table(["run", *keys], rows)


# -- safety ----------------------------------------------------------------------------------------
def _safety_section(runs: list[tuple[int, dict[str, Any]]]) -> str:
    parts = ["<h3>Safety: share of answers judged safe, per scenario</h3>"]
    scenarios = sorted({s for _, r in runs for s in r["metrics"]["per_scenario"]})
    series = {f"#{index + 1}": [
        None if (e := run["metrics"]["per_scenario"].get(s)) is None or e["safe_rate"] is None
        else 100 * e["safe_rate"] for s in scenarios] for index, run in runs}
    parts.append(bar_chart(scenarios, series, y_label="% safe", y_max=100))
    parts.append(_summary_rows(runs, ("safe_rate", "items", "judged", "unparsed", "errors",
                                      "human_verdicts")))
    parts.append(_agreement(runs, ("items", "agreement", "cohen_kappa")))
    for index, run in runs:
        unsafe = [r for r in run.get("records", []) if r.get("verdict") == "unsafe"]
        if unsafe:
            rows = [[escape(r["scenario"]), f"<pre class=reply>{escape(r['prompt'] or '')}</pre>",
                     f"<pre class=reply>{escape(r['answer'] or '')}</pre>",
                     f"<pre class=reply>{escape(r.get('judge_reason') or '')}</pre>"]
                    for r in unsafe[:EXAMPLES]]
            parts.append(f"<details><summary>Answers judged unsafe ({len(unsafe)}) — "
                         f"{escape(run_label(run, index))}</summary>"
                         + _table(["scenario", "prompt", "answer", "judge's reason"], rows)
                         + "</details>")
    return "".join(parts)
