"""Colour science: sRGB <-> hex, CIELAB, the Monk Skin Tone scale, greyscale photos."""

from __future__ import annotations

from typing import Any

import numpy as np

from .vocabulary import MONK_SCALE


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {value!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def rgb_to_hex(rgb: tuple[int, int, int] | np.ndarray) -> str:
    r, g, b = (int(np.clip(round(float(c)), 0, 255)) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def srgb_to_lab(rgb: Any) -> np.ndarray:
    """sRGB 0..255 (..., 3) -> CIELAB (D65), as float64."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


_MONK_LAB = srgb_to_lab([hex_to_rgb(h) for h in MONK_SCALE])


def monk_index(rgb: Any) -> int:
    """1..10: the Monk Skin Tone swatch nearest to `rgb` in CIELAB."""
    lab = srgb_to_lab(np.asarray(rgb, dtype=np.float64)[:3])
    return int(np.argmin(((_MONK_LAB - lab) ** 2).sum(axis=1))) + 1


def is_greyscale(rgb: np.ndarray) -> bool:
    """True for photos whose channels are (nearly) equal: no colour to measure."""
    small = rgb[:: max(1, rgb.shape[0] // 64), :: max(1, rgb.shape[1] // 64)].astype(np.int16)
    return bool(np.abs(small[..., 0] - small[..., 1]).mean() < 2.0
                and np.abs(small[..., 2] - small[..., 1]).mean() < 2.0)


def image_luma(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def lab_to_srgb(lab: Any) -> np.ndarray:
    """CIELAB (D65) (..., 3) -> sRGB 0..255 as float64 (clipped to the gamut)."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    fx = fy + lab[..., 1] / 500
    fz = fy - lab[..., 2] / 200
    f = np.stack([fx, fy, fz], axis=-1)
    xyz = np.where(f > 0.206893, f ** 3, (f - 16 / 116) / 7.787) * np.array([0.95047, 1.0, 1.08883])
    m = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415],
                  [0.0557, -0.2040, 1.0570]])
    c = np.clip(xyz @ m.T, 0, 1)
    c = np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)
    return np.clip(c * 255, 0, 255)
