# poalign: one image for the API + scheduler + workers (`poalign serve`) and every other command.
#   docker build -t poalign .
#   docker run -p 8000:8000 -v "$PWD/config:/config:ro" -v poalign-data:/data poalign
# Needs BuildKit (Docker's default builder since 23.0; podman and buildah too) for the RUN --mount below.
#
# The base, pinned by digest in both stages: python:3.11.9-slim-bookworm, of the 3.11-slim-bookworm line;
# the digest is the multi-platform one that Renovate resolved from Docker Hub on 2024-04-12 in
# github.com/nalabelle/build, images/digests.Dockerfile (commit b709b6a5c213). To move to a newer one:
# `docker buildx imagetools inspect python:3.11-slim-bookworm`, then put the tag and digest it prints in
# both FROM lines (tests/packaging/test_dockerfile.py checks they agree).

# --- builder: the wheels of every dependency as requirements.lock pins them, and poalign's own ---------
FROM python:3.11.9-slim-bookworm@sha256:dad770592ab3582ab2dabcf0e18a863df9d86bd9d23efcfa614110ce49ac20e4 AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src

# In a layer of their own, rebuilt only when the lock changes; every file is checked against its hash.
COPY requirements.lock ./
RUN pip wheel --require-hashes --wheel-dir /wheels -r requirements.lock

# Only what production runs (.dockerignore admits nothing else): the sandbox trackers, the tests, the
# test kit and the benchmarks stay out. migrations/ goes into the wheel as the poalign_migrations package.
COPY pyproject.toml README.md ./
COPY service ./service
COPY connectors ./connectors
COPY rules ./rules
COPY migrations ./migrations
RUN pip wheel --no-deps --wheel-dir /wheels .

# --- runtime ---------------------------------------------------------------------------------------------
FROM python:3.11.9-slim-bookworm@sha256:dad770592ab3582ab2dabcf0e18a863df9d86bd9d23efcfa614110ce49ac20e4 AS runtime

# POALIGN_DATA_DIR: relative SQLite paths (the default store among them) live in the /data volume, not
# beside the config, which may be mounted read-only (a ConfigMap).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    POALIGN_CONFIG=/config/poalign.yaml \
    POALIGN_DATA_DIR=/data

# Exactly the builder's wheels, nothing fetched; mounted rather than copied, so no layer keeps them.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --no-deps /wheels/*.whl \
 && pip check

RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin poalign \
 && mkdir -p /config /data \
 && chown poalign:poalign /data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

# Migrates first, under a PostgreSQL advisory lock: replicas that start together migrate once.
CMD ["poalign", "serve", "--upgrade", "--host", "0.0.0.0", "--port", "8000"]
