# Moji: one image for the bot and the workers (docker-compose.yml runs it both ways).
#   docker build -t moji .                                      # CPU (torch's CPU wheels)
#   docker build -t moji:cuda --build-arg DEVICE=cuda .         # GPU workers (torch + CUDA)
#   docker build -t moji:small --build-arg TORCH=0 .            # no torch: basic likeness
# DEVICE=cuda takes torch from PyTorch's CUDA wheel index (TORCH_CUDA, default cu130: NVIDIA
# driver >= 580); run that image with a GPU (Compose's `gpu` profile, or `docker run --gpus 1`).
# MOJI_DEVICE=cuda is then set, so a container without a GPU says so instead of running slowly.
FROM python:3.11-slim

ARG DEVICE=cpu
ARG TORCH_CUDA=cu130
ARG TORCH=1
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOJI_CACHE_DIR=/models \
    MOJI_DEVICE=${DEVICE}

# cairo for CairoSVG; GL and GLib for MediaPipe
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcairo2 libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

# torch and torchvision first (the pair pyproject's `torch` extra pins), from the index for the
# device (PyPI's default torch wheel pulls in the CUDA libraries, 2+ GB, even for a CPU image)
RUN TORCH_PAIR="torch>=2.14,<2.15 torchvision>=0.29,<0.30"; \
    if [ "$TORCH" = "1" ] && [ "$DEVICE" = "cuda" ]; then \
        pip install $TORCH_PAIR --index-url "https://download.pytorch.org/whl/${TORCH_CUDA}"; \
    elif [ "$TORCH" = "1" ]; then \
        pip install $TORCH_PAIR --index-url https://download.pytorch.org/whl/cpu; \
    fi

WORKDIR /app
COPY . .
RUN pip install .

# The face landmarker model is fetched into /models (a volume) on first start.
RUN useradd --create-home moji && mkdir -p /models && chown moji /models
USER moji

CMD ["moji", "run"]
