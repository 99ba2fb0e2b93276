"""Tiny inline-SVG charts for the self-contained HTML report (no JavaScript, no CDN).

Every label passes through ``html.escape``: series names can come from user input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
DASHED = {"uniform": "6 4", "majority": "2 3"}


def line_chart(x: Sequence[float], series: Mapping[str, Sequence[float | None]], *, x_label: str,
               y_label: str, y_max: float = 100.0, width: int = 760, height: int = 340) -> str:
    left, right, top, bottom = 52, 250, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    x_min, x_max = min(x), max(x)

    def px(value: float) -> float:
        return left + (value - x_min) / ((x_max - x_min) or 1) * plot_w

    def py(value: float) -> float:
        return top + plot_h - value / (y_max or 1) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(y_label)}">']
    for k in range(5):
        y_value = y_max * k / 4
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{py(y_value):.1f}" '
                     f'y2="{py(y_value):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{py(y_value) + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{y_value:g}</text>')
    for value in x:
        parts.append(f'<text x="{px(value):.1f}" y="{top + plot_h + 16}" font-size="11" '
                     f'text-anchor="middle">{value:g}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 6}" font-size="12" '
                 f'text-anchor="middle">{escape(x_label)}</text>'
                 f'<text x="14" y="{top + plot_h / 2}" font-size="12" text-anchor="middle" '
                 f'transform="rotate(-90 14 {top + plot_h / 2})">{escape(y_label)}</text>')
    for index, (name, values) in enumerate(series.items()):
        colour = PALETTE[index % len(PALETTE)]
        dash = next((d for key, d in DASHED.items() if key in name.lower()), "")
        points = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(x, values) if b is not None)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'stroke-dasharray="{dash}" points="{points}"/>')
        y_legend = top + 14 + index * 16
        parts.append(f'<line x1="{left + plot_w + 10}" x2="{left + plot_w + 30}" y1="{y_legend - 4}"'
                     f' y2="{y_legend - 4}" stroke="{colour}" stroke-width="2" '
                     f'stroke-dasharray="{dash}"/><text x="{left + plot_w + 34}" y="{y_legend}" '
                     f'font-size="11">{escape(name[:40])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *, y_label: str,
              y_max: float, width: int = 640, height: int = 300) -> str:
    left, right, top, bottom = 52, 150, 16, 90
    plot_w, plot_h = width - left - right, height - top - bottom
    groups = max(1, len(labels))
    group_w = plot_w / groups
    bar_w = group_w * 0.8 / max(1, len(series))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(y_label)}">']
    for k in range(5):
        value = y_max * k / 4
        y = top + plot_h - value / (y_max or 1) * plot_h
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{left - 6}" y="{y + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{value:.3g}</text>')
    for g, label in enumerate(labels):
        x = left + g * group_w + group_w / 2
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 12}" font-size="10" '
                     f'text-anchor="end" transform="rotate(-35 {x:.1f} {top + plot_h + 12})">'
                     f'{escape(label[:28])}</text>')
        for s, values in enumerate(series.values()):
            bar = values[g]
            if bar is None:
                continue
            h = min(bar, y_max) / (y_max or 1) * plot_h
            bx = left + g * group_w + group_w * 0.1 + s * bar_w
            parts.append(f'<rect x="{bx:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}"/>')
    for s, name in enumerate(series):
        y_legend = top + 14 + s * 16
        parts.append(f'<rect x="{left + plot_w + 10}" y="{y_legend - 10}" width="12" height="10" '
                     f'fill="{PALETTE[s % len(PALETTE)]}"/><text x="{left + plot_w + 28}" '
                     f'y="{y_legend}" font-size="11">{escape(name[:22])}</text>')
    parts.append("</svg>")
    return "".join(parts)
