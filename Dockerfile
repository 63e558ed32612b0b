# Moji: one image for the bot and the workers (docker-compose.yml runs it both ways).
#   docker build -t moji .                      # CPU
#   docker build -t moji --build-arg TORCH=1 .  # with torch, for the autoencoder/resnet50
#                                                 embedders (CUDA when the GPU is reserved)
FROM python:3.11-slim

ARG TORCH=0
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOJI_CACHE_DIR=/models

# cairo for CairoSVG; GL and GLib for MediaPipe
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcairo2 libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install . \
    && if [ "$TORCH" = "1" ]; then pip install ".[torch]"; fi

# The face landmarker model is fetched into /models (a volume) on first start.
RUN useradd --create-home moji && mkdir -p /models && chown moji /models
USER moji

CMD ["moji", "run"]
