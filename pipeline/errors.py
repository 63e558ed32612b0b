"""The one exception type the pipeline raises for problems a user can act on."""

from __future__ import annotations

# Stable error codes: `moji render --json`, the worker and the bot all key their messages on these.
ERROR_CODES = {
    "not_found": "The file does not exist.",
    "unreadable": "The file exists but cannot be read (no permission, or not a file).",
    "bad_image": "The file is not an image Moji can read.",
    "heic": "The file is a HEIC/HEIF photo, which Moji cannot read.",
    "too_small": "The image is too small to hold a face.",
    "too_large": "The image is too large.",
    "no_face": "No face was found in the photo.",
    "unknown_style": "There is no art style by that name.",
    "unknown_embedder": "There is no embedder by that name.",
    "unknown_parser": "There is no face parser by that name.",
    "model_missing": "A model file is missing.",
    "model_corrupt": "A model file is damaged.",
    "weights_missing": "Model weights are missing.",
    "style_invalid": "A style pack is broken.",
    "bad_likeness": "A likeness names a trait Moji does not know.",
    "bad_device": "MOJI_DEVICE names a device that is not there (cuda without a GPU).",
}


class MojiError(Exception):
    """An error with a stable `code` (see ERROR_CODES) and a message meant for people."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        # numbers a translated message can quote (too_large: megapixels and limit_megapixels)
        self.params = params

    def to_dict(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


def read_error(path: object, exc: OSError) -> MojiError:
    """The MojiError for a file that could not be read: not there, or there but not readable
    (no permission, a folder), each said plainly."""
    if isinstance(exc, FileNotFoundError):
        return MojiError("not_found", f"There is no file {path}.")
    if isinstance(exc, IsADirectoryError):
        return MojiError("unreadable", f"{path} is a folder, not a file.")
    if isinstance(exc, PermissionError):
        return MojiError("unreadable", f"Cannot read {path}: no permission to read it.")
    return MojiError("unreadable", f"Cannot read {path}: {exc.strerror or exc}.")
