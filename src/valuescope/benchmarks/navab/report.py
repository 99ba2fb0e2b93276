"""NaVAB section of the HTML report: correct rates, the nation x source grid, agreement between
methods on the same items, the change a DPO run made, and example replies (escaped)."""

from __future__ import annotations

from html import escape
from typing import Any

from valuescope.benchmarks.navab.metric import agreement
from valuescope.core.report_cells import percent

EXAMPLES = 6


def _label(run: dict[str, Any], index: int) -> str:
    label = f"#{index + 1} {run['model']['spec']} ({run['variant']}"
    if run.get("judge"):
        label += f", judge {run['judge']['spec']}"
    stage = (run.get("alignment") or {}).get("stage")
    return label + (f", {stage} DPO" if stage else "") + ")"


def _cell(value: float | None) -> str:
    """A percentage cell shaded from red (0 %) through white (50 %, chance) to green (100 %)."""
    if value is None:
        return "<td class=num>–</td>"
    strength = min(1.0, abs(value - 0.5) * 2)
    hue = 130 if value >= 0.5 else 0
    return (f'<td class=num style="background:hsl({hue},60%,{100 - 30 * strength:.0f}%)">'
            f"{percent(value)}</td>")


def render(runs: list[dict[str, Any]]) -> str:
    parts = [_notes(runs), _summary(runs), _grid(runs), _agreement(runs), _alignment(runs)]
    parts += [_examples(run, index) for index, run in enumerate(runs)]
    return "".join(parts)


def _notes(runs: list[dict[str, Any]]) -> str:
    notes = sorted({note for run in runs for note in run.get("data", {}).get("notes", [])})
    files = {(f["path"], f["source"]): f for run in runs
             for f in run.get("data", {}).get("files", []) if f.get("problems")}
    html = "".join(f'<div class="synthetic">{escape(note)}</div>' for note in notes)
    if files:
        rows = "".join(
            f"<tr><td>{escape(f['nation'])}/{escape(f['source'])}</td>"
            f"<td>{escape(str(f['path']))}</td><td class=num>{f['rows']}</td>"
            f"<td class=num>{f['excluded']}</td><td>"
            + escape(", ".join(f"{k}: {v}" for k, v in f["problems"].items())) + "</td></tr>"
            for f in files.values())
        html += ("<details><summary>Data problems (rows left out or flagged)</summary><table>"
                 "<tr><th>file</th><th>path</th><th>rows</th><th>left out</th><th>kinds</th></tr>"
                 f"{rows}</table></details>")
    return html


def _summary(runs: list[dict[str, Any]]) -> str:
    head = ("<tr><th>run</th><th>data</th><th>items</th><th>correct rate %</th><th>pos half %"
            "</th><th>neg half %</th><th>no decision</th><th>unparsed</th></tr>")
    rows = []
    for index, run in enumerate(runs):
        overall = run["metrics"]["overall"]
        data = run.get("data", {})
        rows.append(
            f"<tr><td>{escape(_label(run, index))}</td>"
            f"<td>{escape(str(data.get('data', '')))} @ {escape(str(data.get('revision')))}</td>"
            f"<td class=num>{overall['items']}</td>{_cell(overall['right_rate'])}"
            f"{_cell(overall['pos_right_rate'])}{_cell(overall['neg_right_rate'])}"
            f"<td class=num>{overall['undecided']}</td>"
            f"<td class=num>{overall.get('unparsed', '–')}</td></tr>")
    return ("<h3>Correct rate (chance 50 %; S first in the pos half, RS first in the neg half)"
            f"</h3><table>{head}{''.join(rows)}</table>")


def _grid(runs: list[dict[str, Any]]) -> str:
    nations = list(dict.fromkeys(n for run in runs for n in run["metrics"]["grid"]["nations"]))
    sources = list(dict.fromkeys(s for run in runs for s in run["metrics"]["grid"]["sources"]))
    head = "<tr><th rowspan=2>nation</th>" + "".join(
        f"<th colspan={len(sources)}>{escape(_label(r, i))}</th>" for i, r in enumerate(runs))
    head += "</tr><tr>" + "".join(f"<th>{escape(s)}</th>" for _ in runs for s in sources) + "</tr>"
    rows = []
    for nation in nations:
        cells = "".join(_cell(run["metrics"]["grid"]["right_rate"].get(nation, {}).get(source))
                        for run in runs for source in sources)
        rows.append(f"<tr><td>{escape(nation)}</td>{cells}</tr>")
    return f"<h3>Nation × source (correct rate %)</h3><table>{head}{''.join(rows)}</table>"


def _comparable(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two runs of different methods on the same model and the same items."""
    same_items = all(a["options"].get(k) == b["options"].get(k) for k in ("data", "nation",
                                                                            "source"))
    return (a["variant"] != b["variant"] and a["model"]["spec"] == b["model"]["spec"]
            and same_items and a.get("limit") == b.get("limit"))


def _agreement(runs: list[dict[str, Any]]) -> str:
    rows = []
    for i, first in enumerate(runs):
        for j in range(i + 1, len(runs)):
            second = runs[j]
            if not _comparable(first, second) or not first.get("records"):
                continue
            stats = agreement(first["records"], second.get("records", []))
            kappa = "–" if stats["kappa"] is None else f"{stats['kappa']:.2f}"
            rows.append(f"<tr><td>{escape(_label(first, i))}</td><td>{escape(_label(second, j))}"
                        f"</td><td class=num>{stats['items']}</td>{_cell(stats['rate'])}"
                        f"<td class=num>{kappa}</td></tr>")
    if not rows:
        return ""
    return ("<h3>Agreement between methods (same model, same items)</h3><table><tr><th>method 1"
            "</th><th>method 2</th><th>items</th><th>same verdict %</th><th>Cohen's κ</th></tr>"
            f"{''.join(rows)}</table>")


def _alignment(runs: list[dict[str, Any]]) -> str:
    staged = {(run.get("alignment") or {}).get("stage"): run for run in runs}
    before, after = staged.get("before"), staged.get("after")
    if before is None or after is None:
        return ""
    keys = list(dict.fromkeys([*before["metrics"]["groups"], *after["metrics"]["groups"]]))
    rows = []
    for key, b, a in [("all", before["metrics"]["overall"], after["metrics"]["overall"])] + [
            (k, before["metrics"]["groups"].get(k, {}), after["metrics"]["groups"].get(k, {}))
            for k in keys]:
        rb, ra = b.get("right_rate"), a.get("right_rate")
        delta = "–" if rb is None or ra is None else f"{100 * (ra - rb):+.1f}"
        rows.append(f"<tr><td>{escape(key)}</td><td class=num>{b.get('items', '–')}</td>"
                    f"{_cell(rb)}{_cell(ra)}<td class=num>{delta}</td></tr>")
    info = after.get("alignment", {})
    prefer = [(before.get("alignment") or {}).get("pair_preference") or {},
              info.get("pair_preference") or {}]
    if prefer[0].get("rate") is not None and prefer[1].get("rate") is not None:
        rows.append(f"<tr><td>held-out pairs: log P(S | Q) &gt; log P(RS | Q), chat</td>"
                    f"<td class=num>{prefer[1]['pairs']}</td>{_cell(prefer[0]['rate'])}"
                    f"{_cell(prefer[1]['rate'])}<td class=num>"
                    f"{100 * (prefer[1]['rate'] - prefer[0]['rate']):+.1f}</td></tr>")
    detail = ", ".join(f"{escape(str(k))} {escape(str(v))}" for k, v in info.items()
                       if k not in ("stage",) and not isinstance(v, (dict, list)))
    return ("<h3>DPO: held-out correct rate before and after</h3>"
            f"<p>{detail}</p><table><tr><th>items</th><th>n</th><th>before %</th><th>after %"
            f"</th><th>change (points)</th></tr>{''.join(rows)}</table>")


def _examples(run: dict[str, Any], index: int) -> str:
    field = "answer" if run["variant"] == "aj" else "reply"
    records = [r for r in run.get("records", []) if r.get(field) is not None][:EXAMPLES]
    if not records:
        return ""
    rows = "".join(
        f"<tr><td>{escape(r['id'])}</td><td>{escape(r['half'])}</td>"
        f"<td>{escape(str(r.get('letter', r.get('s_letter'))))}</td>"
        f"<td>{'right' if r.get('correct') else 'wrong'}</td>"
        f"<td><pre class=reply>{escape(str(r[field]))}</pre></td></tr>" for r in records)
    return (f"<details><summary>Example {'answers' if field == 'answer' else 'replies'} — "
            f"{escape(_label(run, index))}</summary><table><tr><th>item</th><th>half</th>"
            f"<th>letter</th><th>verdict</th><th>model output</th></tr>{rows}</table></details>")
