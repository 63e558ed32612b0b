"""The drawing code of the built-in styles: shared geometry, and one module per style.

``svg`` holds SVG helpers, ``specs`` the part variants (ids, tags, params), ``geometry`` the
shapes every style shares (faces, mouths, eyes, brows, and the ``Head`` likeness parts are
drawn around), ``hair``, ``facial_hair``, ``headwear`` and ``accessories`` (glasses, earrings,
signs of age) the likeness shapes, ``style`` the ``Style`` record, ``pack`` the pack-only
parts' shapes (heart eyes, tears, hands). Every other module here is a style:
it defines ``STYLE``. A new style is one new file; ``all_styles()`` finds it.
"""

from __future__ import annotations

import importlib
import pkgutil

from .style import Style

SHARED_MODULES = frozenset({"svg", "specs", "geometry", "style", "pack", "hair", "facial_hair",
                            "headwear", "accessories", "person"})


def all_styles() -> list[Style]:
    """Every style module's ``STYLE``, in their ``order`` (then by name)."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name in SHARED_MODULES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        style = getattr(module, "STYLE", None)
        if isinstance(style, Style):
            found.append(style)
    return sorted(found, key=lambda s: (s.order, s.name))
