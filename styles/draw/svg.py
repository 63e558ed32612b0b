"""Small SVG helpers shared by every style: number formatting, elements and smooth outlines.

Numbers are written with one decimal and no trailing zeros so that the generated files are
small and byte-identical from run to run.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]


def num(value: float) -> str:
    """Format a coordinate with one decimal, without trailing zeros or a negative zero."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def pt(p: Point) -> str:
    """Format a point as ``x,y`` for path data."""
    return f"{num(p[0])},{num(p[1])}"


def attrs(**kwargs: str | float) -> str:
    """Render keyword arguments as SVG attributes; ``stroke_width`` becomes ``stroke-width``."""
    parts = []
    for key, value in kwargs.items():
        text = num(value) if isinstance(value, float | int) else value
        parts.append(f'{key.replace("_", "-")}="{text}"')
    return " ".join(parts)


def path(d: str, **kwargs: str | float) -> str:
    """An SVG ``<path>`` element."""
    return f'<path d="{d}" {attrs(**kwargs)}/>'


def ellipse(c: Point, rx: float, ry: float, **kwargs: str | float) -> str:
    """An SVG ``<ellipse>`` element."""
    return (
        f'<ellipse cx="{num(c[0])}" cy="{num(c[1])}" rx="{num(rx)}" ry="{num(ry)}" '
        f"{attrs(**kwargs)}/>"
    )


def rect(x: float, y: float, w: float, h: float, **kwargs: str | float) -> str:
    """An SVG ``<rect>`` element."""
    return (
        f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" {attrs(**kwargs)}/>'
    )


def stroke(colour: str, width: float) -> dict[str, str | float]:
    """Attributes of an unfilled, round-capped line, the look of every drawn feature line."""
    return {
        "fill": "none",
        "stroke": colour,
        "stroke_width": width,
        "stroke_linecap": "round",
        "stroke_linejoin": "round",
    }


def clip(pid: str, d: str, suffix: str = "clip") -> tuple[str, str]:
    """A ``<clipPath>`` definition with a part-prefixed id, and the ``url()`` to use it."""
    cid = f"{pid}-{suffix}"
    return f'<defs><clipPath id="{cid}"><path d="{d}"/></clipPath></defs>', f"url(#{cid})"


def smooth_closed(points: Sequence[Point]) -> str:
    """A closed path through ``points`` as a Catmull-Rom spline converted to cubic Beziers.

    A spline gives smooth outlines from few sample points, which keeps the files small.
    """
    n = len(points)
    d = [f"M{pt(points[0])}"]
    for i in range(n):
        p0, p1, p2, p3 = points[i - 1], points[i], points[(i + 1) % n], points[(i + 2) % n]
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        d.append(f"C{pt(c1)} {pt(c2)} {pt(p2)}")
    return "".join(d) + "Z"


def smooth_open(points: Sequence[Point]) -> str:
    """An open Catmull-Rom path through ``points`` (end tangents point at the neighbours)."""
    n = len(points)
    d = [f"M{pt(points[0])}"]
    for i in range(n - 1):
        p0 = points[max(0, i - 1)]
        p1, p2 = points[i], points[i + 1]
        p3 = points[min(n - 1, i + 2)]
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        d.append(f"C{pt(c1)} {pt(c2)} {pt(p2)}")
    return "".join(d)


def polygon(points: Sequence[Point]) -> str:
    """A closed straight-edged path through ``points`` (crisp corners: frames, brims)."""
    return "M" + "L".join(pt(p) for p in points) + "Z"


def lerp(a: float, b: float, t: float) -> float:
    """Linear interpolation between ``a`` and ``b``."""
    return a + (b - a) * t
