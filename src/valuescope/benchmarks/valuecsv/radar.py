"""A radar (spider) chart in inline SVG, for the 12-dimension value maps.

Axes run clockwise from the top; axis labels may be coloured by group (the three CSV levels).
The first ``emphasis`` series are drawn filled and bold (the runs), the rest as thin dashed
outlines (the references). Every label passes through ``html.escape``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

from valuescope.core.svg import PALETTE

GROUP_COLOURS = ("#a93226", "#1f618d", "#1e8449", "#7d3c98")


def _nice_max(values: list[float]) -> float:
    """The outer ring: the next multiple of 0.2 (rings at quarters then land on round values)."""
    top = max(values + [0.0])
    return min(1.0, max(0.2, math.ceil(top * 5 - 1e-9) / 5))


def radar_chart(axes: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
                groups: Mapping[str, Sequence[str]] | None = None, emphasis: int = 1,
                width: int = 760, height: int = 470) -> str:
    n = len(axes)
    cx, cy, radius = 250, height / 2, min(250, height / 2) - 70
    top = _nice_max([v for values in series.values() for v in values if v is not None])

    def point(k: float, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * k / n
        r = radius * max(0.0, min(value, top)) / top
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    colour_of = {}
    for index, (_, members) in enumerate((groups or {}).items()):
        colour_of.update(dict.fromkeys(members, GROUP_COLOURS[index % len(GROUP_COLOURS)]))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="radar chart">']
    for ring in range(1, 5):
        value = top * ring / 4
        ring_points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(k, value) for k in range(n)))
        parts.append(f'<polygon points="{ring_points}" fill="none" stroke="#ddd"/>')
        # Ring values sit halfway between the first two axes, clear of the axis labels.
        x, y = point(0.5, value)
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" fill="#888">'
                     f'{value:g}</text>')
    for k, name in enumerate(axes):
        x, y = point(k, top)
        parts.append(f'<line x1="{cx}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#ccc"/>')
        angle = -math.pi / 2 + 2 * math.pi * k / n
        lx, ly = cx + (radius + 14) * math.cos(angle), cy + (radius + 14) * math.sin(angle)
        anchor = "middle" if abs(math.cos(angle)) < 0.2 else ("start" if math.cos(angle) > 0
                                                               else "end")
        parts.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" font-size="12" text-anchor="{anchor}" '
                     f'fill="{colour_of.get(name, "#222")}">{escape(name)}</text>')
    drawn = 0
    for index, (name, values) in enumerate(series.items()):
        if all(v is None for v in values):
            continue
        colour = PALETTE[index % len(PALETTE)]
        shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in
                         (point(k, v or 0.0) for k, v in enumerate(values)))
        style = (f'fill="{colour}" fill-opacity="0.12" stroke-width="2.5"' if index < emphasis
                 else 'fill="none" stroke-width="1.4" stroke-dasharray="5 3"')
        parts.append(f'<polygon points="{shape}" stroke="{colour}" {style}/>')
        y_legend = 24 + drawn * 17
        dash = "" if index < emphasis else ' stroke-dasharray="5 3"'
        parts.append(f'<line x1="520" x2="545" y1="{y_legend - 4}" y2="{y_legend - 4}" '
                     f'stroke="{colour}" stroke-width="{2.5 if index < emphasis else 1.4}"{dash}/>'
                     f'<text x="550" y="{y_legend}" font-size="11">{escape(name[:32])}</text>')
        drawn += 1
    for index, group in enumerate(groups or {}):
        y_legend = height - 16 - (len(groups or {}) - 1 - index) * 16
        parts.append(f'<text x="520" y="{y_legend}" font-size="11" '
                     f'fill="{GROUP_COLOURS[index % len(GROUP_COLOURS)]}">■ {escape(group)}</text>')
    parts.append("</svg>")
    return "".join(parts)
