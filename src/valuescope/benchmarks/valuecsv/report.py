"""ValueCSV section of the HTML report: a radar chart of the 12 dimensions (runs and the six
reference models), the value map grouped by level, the evaluator's held-out quality, and example
answers. Every model answer is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from valuescope.benchmarks.valuecsv.dimensions import CHINESE, DIMENSIONS, LEVELS
from valuescope.benchmarks.valuecsv.radar import radar_chart
from valuescope.core.report_cells import number

EXAMPLES = 5


def _label(run: dict[str, Any], index: int) -> str:
    return f"#{index + 1} {run['model']['spec']}"


def render(runs: list[dict[str, Any]]) -> str:
    maps = {_label(run, i): run["metrics"]["value_map"] for i, run in enumerate(runs)}
    references = runs[0]["metrics"].get("references", {})
    maps.update({f"{name} (ref.)": ref for name, ref in references.items()})
    parts = [_evaluator_note(runs)]
    parts.append("<h3>CSV value map: mean P(dimension) over the answers</h3>")
    series = {name: [m["mean_p"][d] for d in DIMENSIONS] for name, m in maps.items()}
    parts.append(radar_chart(list(DIMENSIONS), series,
                             groups={level: list(dims) for level, dims in LEVELS.items()},
                             emphasis=len(runs)))
    parts.append('<p class="muted">References (dashed): the six LLM answer sets shipped in '
                 "quest100, on the same questions, scored by run #1's evaluator.</p>")
    parts.append(_map_table(maps, "mean_p", "Mean P(dimension)"))
    parts.append(_map_table(maps, "share_positive", "Share of answers predicted positive"))
    parts.append(_summary_table(runs))
    parts.append(_evaluator_table(runs))
    for index, run in enumerate(runs):
        parts.append(_examples(run, index))
    return "".join(parts)


def _evaluator_note(runs: list[dict[str, Any]]) -> str:
    notes = {run["metrics"].get("evaluator", {}).get("note") for run in runs} - {None}
    return "".join(f'<p class="muted">{escape(note)}</p>' for note in sorted(notes))


def _map_table(maps: dict[str, dict[str, Any]], key: str, title: str) -> str:
    head = "<tr><th>level</th><th>dimension</th>" + "".join(
        f"<th>{escape(name)}</th>" for name in maps) + "</tr>"
    rows = []
    for level, dims in LEVELS.items():
        for dim in dims:
            cells = "".join(f"<td class=num>{number(m[key][dim])}</td>" for m in maps.values())
            rows.append(f"<tr><td>{escape(level)}</td><td>{escape(dim)} {CHINESE[dim]}</td>"
                        f"{cells}</tr>")
        cells = "".join(f"<td class=num><b>{number(m['levels'][level][key])}</b></td>"
                        for m in maps.values())
        rows.append(f"<tr><td><b>{escape(level)}</b></td><td><b>level mean</b></td>{cells}</tr>")
    answered = "".join(f"<td class=num>{m['answers']} / {m['answers'] + m['missing']}</td>"
                       for m in maps.values())
    rows.append(f"<tr><td></td><td>answers scored / questions</td>{answered}</tr>")
    return f"<h3>{escape(title)}</h3><table>{head}{''.join(rows)}</table>"


def _summary_table(runs: list[dict[str, Any]]) -> str:
    head = ("<tr><th>run</th><th>questions</th><th>answers</th><th>missing</th><th>status</th>"
            "<th>prompt</th><th>evaluator</th></tr>")
    rows = []
    for index, run in enumerate(runs):
        metrics = run["metrics"]
        summary, evaluator = metrics["summary"], metrics.get("evaluator", {})
        status = ", ".join(f"{k} {v}" for k, v in sorted(metrics.get("status", {}).items()))
        rows.append(f"<tr><td>{escape(_label(run, index))}</td>"
                    f"<td class=num>{summary['questions']}</td>"
                    f"<td class=num>{summary['answers']}</td>"
                    f"<td class=num>{summary['missing']}</td>"
                    f"<td>{escape(status)}</td>"
                    f"<td>{escape(metrics.get('prompt', {}).get('style', '?'))}</td>"
                    f"<td>{escape(str(evaluator.get('recipe')))}<br><span class=muted>"
                    f"{escape(str(evaluator.get('path')))}</span></td></tr>")
    return f"<h3>Runs</h3><table>{head}{''.join(rows)}</table>"


def _evaluator_table(runs: list[dict[str, Any]]) -> str:
    parts = []
    seen = set()
    for run in runs:
        evaluator = run["metrics"].get("evaluator", {})
        heldout = evaluator.get("heldout") or {}
        if evaluator.get("weights_sha256") in seen or not heldout.get("per_dimension"):
            continue
        seen.add(evaluator.get("weights_sha256"))
        split = evaluator.get("split") or {}
        rows = "".join(
            f"<tr><td>{escape(dim)}</td>" + "".join(
                f"<td class=num>{number(values[k])}</td>"
                for k in ("accuracy", "precision", "recall", "f1"))
            + f"<td class=num>{values['support']}</td></tr>"
            for dim, values in heldout["per_dimension"].items())
        parts.append(
            f"<details><summary>Evaluator quality on its held-out split — "
            f"{escape(str(evaluator.get('recipe')))}: micro-F1 {number(heldout.get('micro_f1'))}, "
            f"macro-F1 {number(heldout.get('macro_f1'))}, subset accuracy "
            f"{number(heldout.get('subset_accuracy'))} on {heldout.get('texts')} texts "
            f"({escape(str(split.get('kind')))} split, seed {escape(str(split.get('seed')))})"
            "</summary><table><tr><th>dimension</th><th>accuracy</th><th>precision</th>"
            f"<th>recall</th><th>F1</th><th>positives</th></tr>{rows}</table></details>")
    return "".join(parts)


def _examples(run: dict[str, Any], index: int) -> str:
    records = [r for r in run.get("records", []) if r.get("scores")][:EXAMPLES]
    if not records:
        return ""
    rows = []
    for record in records:
        probs = record["scores"]["probs"]
        top = sorted(range(len(DIMENSIONS)), key=lambda k: -probs[k])[:3]
        rows.append(f"<tr><td class=num>{record['question']}</td>"
                    f"<td>{escape(str(record.get('question_text', '')))}</td>"
                    f"<td>{escape(', '.join(f'{DIMENSIONS[k]} {probs[k]:.2f}' for k in top))}</td>"
                    f"<td><pre class=reply>{escape(str(record['answer']))}</pre></td></tr>")
    return (f"<details><summary>Example answers — {escape(_label(run, index))}</summary><table>"
            "<tr><th>Q</th><th>question</th><th>top dimensions</th><th>answer</th></tr>"
            f"{''.join(rows)}</table></details>")
