"""WorldValuesBench section of the HTML report: the paper's threshold curve (model and both
baselines), per-category and per-partition tables, answer-quality counts and example replies."""

from __future__ import annotations

from html import escape
from typing import Any

from valuescope.core.report_cells import number, run_label
from valuescope.core.svg import line_chart

EXAMPLES = 6


def render(runs: list[dict[str, Any]]) -> str:
    parts = []
    if any(run.get("data", {}).get("synthetic") for run in runs):
        parts.append('<div class="synthetic">SYNTHETIC respondents: no --wvs file was given, so '
                     "the human answers are made up by `valuescope wvb synth`. The numbers show "
                     "that the pipeline works, not how the model matches real people.</div>")
    first = runs[0]["metrics"]
    series: dict[str, list[float | None]] = {}
    for index, run in enumerate(runs):
        series[run_label(run, index)] = run["metrics"]["summary"]["curves"]["model"]
    series["uniform baseline"] = first["summary"]["curves"]["uniform"]
    series["majority baseline"] = first["summary"]["curves"]["majority"]
    parts.append("<h3>% of questions with W1 ≤ threshold</h3>")
    parts.append(line_chart(first["thresholds"], series, x_label="W1 threshold",
                            y_label="% of questions"))
    parts.append(_summary_table(runs))
    parts.append(_category_table(runs))
    parts.append(_partition_tables(runs))
    for index, run in enumerate(runs):
        parts.append(_examples(run, index))
    return "".join(parts)


def _summary_table(runs: list[dict[str, Any]]) -> str:
    head = ("<tr><th>run</th><th>questions</th><th>% W1 ≤ 0.2</th><th>mean W1 [95% CI]</th>"
            "<th>uniform % ≤ 0.2</th><th>majority % ≤ 0.2</th><th>samples</th><th>invalid</th>"
            "<th>out of range</th><th>errors</th><th>missing respondents</th></tr>")
    rows = []
    for index, run in enumerate(runs):
        s, c = run["metrics"]["summary"], run["metrics"]["counts"]
        low, high = s["mean_w1_ci95"]
        rows.append(
            f"<tr><td>{escape(run_label(run, index))}</td><td class=num>{s['questions']}</td>"
            f"<td class=num>{number(s['pct_w1_le_0.2'], 1)}</td>"
            f"<td class=num>{number(s['mean_w1'])} [{number(low)}, {number(high)}]</td>"
            f"<td class=num>{number(s['uniform_pct_w1_le_0.2'], 1)}</td>"
            f"<td class=num>{number(s['majority_pct_w1_le_0.2'], 1)}</td>"
            f"<td class=num>{c['samples']}</td><td class=num>{c['invalid']}</td>"
            f"<td class=num>{c['out_of_range']}</td><td class=num>{c['errors']}</td>"
            f"<td class=num>{c['missing_respondents']}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _category_table(runs: list[dict[str, Any]]) -> str:
    categories = list(runs[0]["metrics"]["per_category"])
    head = "<tr><th>category</th>" + "".join(
        f"<th>{escape(run_label(r, i))}<br>mean W1 / % ≤ 0.2</th>" for i, r in enumerate(runs)) + "</tr>"
    rows = []
    for category in categories:
        cells = []
        for run in runs:
            entry = run["metrics"]["per_category"].get(category)
            cells.append("<td class=num>–</td>" if entry is None else
                         f"<td class=num>{number(entry['mean_w1'])} / "
                         f"{number(entry['pct_w1_le_0.2'], 1)}</td>")
        rows.append(f"<tr><td>{escape(category)}</td>{''.join(cells)}</tr>")
    return f"<h3>Per category</h3><table>{head}{''.join(rows)}</table>"


def _partition_tables(runs: list[dict[str, Any]]) -> str:
    parts = ["<h3>Per partition (W1 recomputed on each subset, as the paper's notebook)</h3>"]
    for partition, groups in runs[0]["metrics"]["partitions"].items():
        head = f"<tr><th>{escape(partition)}</th>" + "".join(
            f"<th>{escape(run_label(r, i))}<br>% ≤ 0.2 / mean W1</th>"
            for i, r in enumerate(runs)) + "<th>uniform % ≤ 0.2</th></tr>"
        rows = []
        for value in groups:
            cells = []
            for run in runs:
                entry = run["metrics"]["partitions"][partition].get(value)
                cells.append("<td class=num>–</td>" if entry is None else
                             f"<td class=num>{number(entry['pct_w1_le_0.2'], 1)} / "
                             f"{number(entry['mean_w1'])}</td>")
            uniform = groups[value]["uniform_pct_w1_le_0.2"]
            rows.append(f"<tr><td>{escape(value)}</td>{''.join(cells)}"
                        f"<td class=num>{number(uniform, 1)}</td></tr>")
        parts.append(f"<table>{head}{''.join(rows)}</table>")
    return "".join(parts)


def _examples(run: dict[str, Any], index: int) -> str:
    records = [r for r in run.get("records", []) if r.get("raw")][:EXAMPLES]
    if not records:
        return ""
    rows = "".join(
        f"<tr><td>{escape(str(r['question']))}</td><td>{escape(str(r['participant']))}</td>"
        f"<td class=num>{escape(str(r['gt']))}</td><td class=num>{escape(str(r['answer']))}</td>"
        f"<td>{escape(str(r['status']))}</td><td><pre class=reply>{escape(r['raw'])}</pre></td></tr>"
        for r in records)
    return (f"<details><summary>Example replies — {escape(run_label(run, index))}</summary><table>"
            "<tr><th>question</th><th>respondent</th><th>human</th><th>model</th><th>parse</th>"
            f"<th>raw reply</th></tr>{rows}</table></details>")
