"""The embedder registry: `list_embedders()` and `get_embedder(name)` are the only ways in.

Each embedder is one module holding one class decorated with `@register_embedder(name)`. Embedders
that need torch live in modules imported only when asked for, so that listing them, or running
the default `expression` embedder, never imports torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..errors import MojiError
from .base import Embedder

_REGISTRY: dict[str, type[Embedder]] = {}
# name -> module that registers it on import (kept lazy: these import torch)
_LAZY_MODULES = {
    "expression": "pipeline.embedders.expression",
    "autoencoder": "pipeline.embedders.autoencoder",
    "autoencoder_perpart": "pipeline.embedders.autoencoder",
    "autoencoder_untrained": "pipeline.embedders.autoencoder",
    "resnet50": "pipeline.embedders.resnet50",
}

DEFAULT_EMBEDDER = "expression"


def register_embedder(name: str) -> Callable[[type[Embedder]], type[Embedder]]:
    """Class decorator: make an embedder available under `name`."""

    def wrap(cls: type[Embedder]) -> type[Embedder]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"embedder {name!r} registered twice")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def list_embedders() -> list[str]:
    """Every embedder name, whether or not its module has been imported yet."""
    return sorted(set(_REGISTRY) | set(_LAZY_MODULES))


def _module_present(name: str) -> None:
    module = _LAZY_MODULES.get(name)
    if module and name not in _REGISTRY:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                raise MojiError("unknown_embedder",
                                f"The {name!r} embedder is not part of this install.") from None
            if exc.name and exc.name.split(".")[0] == "torch":
                raise MojiError(
                    "weights_missing",
                    f"The {name!r} embedder needs PyTorch: pip install 'moji[torch]'.",
                ) from None
            raise


def get_embedder_class(name: str) -> type[Embedder]:
    if name not in list_embedders():
        raise MojiError("unknown_embedder",
                        f"No embedder {name!r}; choose from {', '.join(list_embedders())}.")
    _module_present(name)
    return _REGISTRY[name]


def get_embedder(name: str = DEFAULT_EMBEDDER, **config) -> Embedder:
    """Build an embedder by name; `config` goes to its constructor (weights=, device=, ...)."""
    return get_embedder_class(name)(**config)


__all__ = ["DEFAULT_EMBEDDER", "Embedder", "get_embedder", "list_embedders", "register_embedder"]
