"""The published FaceAutoencoder: a 306x306x3 part crop through an 8-d bottleneck and back.

Layer for layer as in the experiment: four strided convolutions (strides 2, 2, 3, 3) to a
256x8x8 map, one linear layer to the bottleneck, and the mirror image back. Every layer ends in
a ReLU, the bottleneck and the reconstruction included, so embeddings are non-negative.
"""

from __future__ import annotations

import torch
from torch import nn

INPUT_SIZE = 306
FLAT = 256 * 8 * 8  # 16384: the encoder's last feature map, flattened


class FaceAutoencoder(nn.Module):
    """(N, 3, 306, 306) images in 0..1 -> (N, bottleneck) codes -> (N, 3, 306, 306)."""

    def __init__(self, bottleneck: int = 8) -> None:
        super().__init__()
        self.bottleneck = bottleneck
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),  # 153
            nn.Conv2d(16, 64, 3, stride=2, padding=1), nn.ReLU(),  # 77
            nn.Conv2d(64, 128, 5, stride=3, padding=2), nn.ReLU(),  # 26
            nn.Conv2d(128, 256, 5, stride=3, padding=1), nn.ReLU(),  # 8
            nn.Flatten(),
            nn.Linear(FLAT, bottleneck), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.Linear(bottleneck, FLAT), nn.ReLU(),
            nn.Unflatten(1, (256, 8, 8)),
            nn.ConvTranspose2d(256, 128, 5, stride=3, padding=0), nn.ReLU(),  # 26
            nn.ConvTranspose2d(128, 64, 5, stride=3, padding=2, output_padding=1), nn.ReLU(),  # 77
            nn.ConvTranspose2d(64, 16, 3, stride=2, padding=1), nn.ReLU(),  # 153
            nn.ConvTranspose2d(16, 3, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # 306
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))
