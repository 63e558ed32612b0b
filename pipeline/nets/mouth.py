"""MouthNet: the mouth reader's network, in torch, for training (pipeline.mouth runs it in numpy).

A (N, 3, 48, 64) standardised mouth patch through three 3x3 convolutions (each with a ReLU and
2x2 max pooling) to a 48x6x8 map, dropout, and one linear layer to two logits: smiling, apart.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

CHANNELS = (16, 32, 48)


class MouthNet(nn.Module):
    def __init__(self, channels: tuple[int, int, int] = CHANNELS, dropout: float = 0.3) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, channels[0], 3, padding=1)
        self.conv2 = nn.Conv2d(channels[0], channels[1], 3, padding=1)
        self.conv3 = nn.Conv2d(channels[1], channels[2], 3, padding=1)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(channels[2] * 6 * 8, 2)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in (self.conv1, self.conv2, self.conv3):
            x = self.pool(torch.relu(conv(x)))
        return self.head(self.drop(x.flatten(1)))


def standardise(patches: np.ndarray) -> torch.Tensor:
    """(N, H, W, 3) uint8 -> (N, 3, H, W) float, each patch to zero mean and unit spread
    (as pipeline.mouth.standardise)."""
    x = torch.as_tensor(patches, dtype=torch.float32).permute(0, 3, 1, 2)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    std = x.std(dim=(1, 2, 3), keepdim=True)
    return (x - mean) / (std + 1e-3)


def to_arrays(net: MouthNet) -> dict[str, np.ndarray]:
    """The weights as the numpy reader loads them (float32, by parameter name)."""
    return {name: value.detach().cpu().numpy().astype(np.float32)
            for name, value in net.state_dict().items()}
