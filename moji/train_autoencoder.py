"""Train the FaceAutoencoder on part crops: `moji train autoencoder DATASET [--option value]`.

DATASET is a folder written by `moji dataset parts` (DATASET/<kind>/<photo>.png). One model
learns all four part kinds; rendered style parts (over black, as the embedder sees them) join the
batches so that photo parts and style parts share one embedding space. Every option below can be
given on the command line (`--max-minutes 10`, `--styles classic,avatar`).

Writes to `out_dir`: ckpt.pt (full model + optimizer, to resume or inspect), autoencoder.pt
(encoder only, float16: the file the `autoencoder` embedder loads), loss.png and recon.png.
"""

from __future__ import annotations

import csv
import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pipeline.parse import PART_KINDS


@dataclass
class Config:
    # I/O
    out_dir: str = ""  # "" = $MOJI_DATA_DIR/train/autoencoder, else the user data folder's
    export: str = ""  # also copy the exported encoder here (e.g. pipeline/weights/...pt)
    # data
    kinds: str = ",".join(PART_KINDS)
    styles: str = "classic,avatar,lineart"  # style parts rendered into the batches ("" for none)
    style_share: float = 0.15  # fraction of each batch drawn from style parts
    # Photos named in these CSVs' `image` column are held out (comma-separated; relative names
    # are the repository's files from any folder; "" for none).
    exclude: str = "eval/labels.csv"
    val_photos: int = 48  # photos (all their parts) kept apart to measure validation loss
    flip: bool = True  # mirror crops at random (faces are nearly symmetric)
    # model
    bottleneck: int = 8
    grey: bool = True  # feed grey images (x3): most photos are grey, style parts are not
    # optimisation
    batch_size: int = 32
    lr: float = 1e-3
    max_steps: int = 600
    max_minutes: float = 25.0  # stop early when the wall-clock budget is spent
    eval_every: int = 50
    # system
    seed: int = 1337
    device: str = ""  # "" = cuda when available, else cpu ($MOJI_DEVICE wins)
    threads: int = 2  # torch CPU threads


def held_out(exclude: str) -> set[str]:
    """Photo names (stems) listed in the labels CSVs of `exclude` (comma-separated), kept out
    of training. A CSV that is not there is an error: silently excluding nothing would train on
    the evaluation photos."""
    from moji.paths import repository_file

    stems: set[str] = set()
    for name in filter(None, (n.strip() for n in exclude.split(","))):
        csv_path = repository_file(name)
        if not csv_path.is_file():
            raise SystemExit(f"--exclude: no labels file {name} (from here or the repository)")
        with open(csv_path, newline="") as f:
            stems |= {Path(row["image"]).stem for row in csv.DictReader(f) if row.get("image")}
    return stems


def output_folder(cfg: Config) -> Path:
    """Where a run writes: `out_dir` when given, else the user folder's train/autoencoder."""
    from moji.paths import output_dir

    return Path(cfg.out_dir).expanduser() if cfg.out_dir else output_dir("train/autoencoder")


def train(dataset: Path, cfg: Config, progress: bool = True) -> dict:
    """Run one training; returns the summary written to out_dir/summary.json."""
    import cv2
    import torch
    from tqdm import tqdm

    from pipeline.nets.autoencoder import FaceAutoencoder
    from pipeline.weights import ImageTransform, pick_device

    t0 = time.time()
    out_dir = output_folder(cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device or None)
    to_tensor = ImageTransform(grey=cfg.grey)

    # ---- data: crop paths per kind, a photo-level validation split, rendered style parts
    kinds = [k for k in cfg.kinds.split(",") if k]
    skip = held_out(cfg.exclude)
    stems = sorted(set.intersection(*[{p.stem for p in (dataset / k).glob("*.png")}
                                      for k in kinds]) - skip)
    if len(stems) < 2:
        raise SystemExit(f"{dataset} has too few photos with all of {kinds}")
    random.Random(cfg.seed).shuffle(stems)
    n_val = min(cfg.val_photos, max(1, len(stems) // 10))
    split = {"val": stems[:n_val], "train": stems[n_val:]}
    style_crops = np.zeros((0, 306, 306, 3), np.uint8)
    if cfg.styles:
        from pipeline.embedders.autoencoder import part_pixels
        from pipeline.style import load_style

        rendered = [part_pixels(style, part)
                    for name in cfg.styles.split(",") if name
                    for style in [load_style(name)] for kind in kinds
                    for part in style.parts[kind] if part.matchable]
        style_crops = np.stack(rendered)

    def load(kind: str, stem: str) -> np.ndarray:
        return cv2.imread(str(dataset / kind / f"{stem}.png"), cv2.IMREAD_COLOR)[..., ::-1]

    def get_batch(name: str, size: int, rng: random.Random) -> torch.Tensor:
        crops = []
        for _ in range(size):
            if name == "train" and len(style_crops) and rng.random() < cfg.style_share:
                crop = style_crops[rng.randrange(len(style_crops))]
            else:
                crop = load(rng.choice(kinds), rng.choice(split[name]))
            if cfg.flip and name == "train" and rng.random() < 0.5:
                crop = crop[:, ::-1]
            crops.append(crop)
        return to_tensor(np.stack(crops), device)

    val_per_kind = max(1, min(8, len(split["val"])))
    val_batch = to_tensor(np.stack([load(kind, stem) for kind in kinds
                                    for stem in split["val"][:val_per_kind]]), device)

    # ---- model
    model = FaceAutoencoder(cfg.bottleneck).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    n_params = sum(p.numel() for p in model.parameters())

    @torch.no_grad()
    def val_loss() -> float:
        model.eval()
        loss = torch.nn.functional.mse_loss(model(val_batch), val_batch).item()
        model.train()
        return loss

    # ---- loop
    history = {"step": [], "train": [], "val": []}
    rng = random.Random(cfg.seed)
    running = None
    step = 0
    bar = tqdm(total=cfg.max_steps, desc="train", unit="step", disable=not progress)
    while step < cfg.max_steps:
        x = get_batch("train", cfg.batch_size, rng)
        loss = torch.nn.functional.mse_loss(model(x), x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        running = loss.item() if running is None else 0.9 * running + 0.1 * loss.item()
        out_of_time = (time.time() - t0) / 60 > cfg.max_minutes
        if step % cfg.eval_every == 0 or step == cfg.max_steps or out_of_time:
            history["step"].append(step)
            history["train"].append(running)
            history["val"].append(val_loss())
            bar.set_postfix(train=f"{running:.5f}", val=f"{history['val'][-1]:.5f}")
            save_checkpoint(out_dir / "ckpt.pt", model, optimizer, cfg, step, history)
        bar.update(1)
        if out_of_time:
            break
    bar.close()

    # ---- checkpoint, export, plots
    minutes = (time.time() - t0) / 60
    summary = {
        "steps": step, "samples_seen": step * cfg.batch_size, "minutes": round(minutes, 2),
        "train_photos": len(split["train"]), "val_photos": len(split["val"]),
        "style_parts": len(style_crops), "held_out": len(skip), "params": n_params,
        "final_train_loss": history["train"][-1], "final_val_loss": history["val"][-1],
        "device": str(device), "config": asdict(cfg),
    }
    exported = export_encoder(model, cfg, summary, out_dir / "autoencoder.pt")
    if cfg.export:
        Path(cfg.export).parent.mkdir(parents=True, exist_ok=True)
        Path(cfg.export).write_bytes(exported.read_bytes())
    plot_losses(history, out_dir / "loss.png")
    plot_reconstructions(model, val_batch, val_per_kind, out_dir / "recon.png")
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def save_checkpoint(path: Path, model, optimizer, cfg: Config, step: int, history: dict) -> None:
    import torch

    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "config": asdict(cfg), "step": step, "history": history}, path)


def export_encoder(model, cfg: Config, summary: dict, path: Path) -> Path:
    """The encoder alone in float16 with its config: what the embedder needs, a quarter the size."""
    import torch

    encoder = {f"encoder.{k}": v.detach().cpu().half()
               for k, v in model.encoder.state_dict().items()}
    meta = {k: summary[k] for k in ("steps", "samples_seen", "minutes", "train_photos",
                                    "final_train_loss", "final_val_loss", "style_parts")}
    torch.save({"model": encoder, "config": {"bottleneck": cfg.bottleneck, "grey": cfg.grey},
                "meta": meta}, path)
    return path


def plot_losses(history: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(history["step"], history["train"], label="train (running mean)", color="#d6336c")
    ax.plot(history["step"], history["val"], label="validation", color="#7048e8")
    ax.set_xlabel("step")
    ax.set_ylabel("MSE per pixel")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("FaceAutoencoder on part crops")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_reconstructions(model, val_batch, per_kind: int, path: Path) -> None:
    """Per kind, a row of validation crops over a row of their reconstructions."""
    import torch
    from PIL import Image

    with torch.no_grad():
        model.eval()
        shown = val_batch
        recon = model(shown).clamp(0, 1)

    def row(t: torch.Tensor) -> np.ndarray:
        return np.concatenate(list((t.permute(0, 2, 3, 1).cpu().numpy() * 255).astype(np.uint8)),
                              axis=1)

    cols = per_kind
    rows = []
    for start in range(0, len(shown), cols):
        rows += [row(shown[start:start + cols]), row(recon[start:start + cols])]
    width = max(r.shape[1] for r in rows)
    grid = np.concatenate([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows])
    Image.fromarray(grid).resize((width // 2, grid.shape[0] // 2)).save(path)

