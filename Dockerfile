# poalign: one image for the API + scheduler + workers (`poalign serve`) and every other command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    POALIGN_MIGRATIONS=/app/migrations \
    POALIGN_CONFIG=/config/poalign.yaml

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir -p service connectors rules \
 && touch service/__init__.py connectors/__init__.py rules/__init__.py \
 && pip install . \
 && pip uninstall -y poalign \
 && rm -rf service connectors rules

# Only what production runs: the sandbox trackers (sandbox/, the poalign-sandbox distribution) stay out.
COPY service ./service
COPY connectors ./connectors
COPY rules ./rules
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install --no-deps . && rm -rf build

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin poalign \
 && mkdir -p /config /data && chown poalign:poalign /config /data
USER poalign
VOLUME ["/config", "/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

CMD ["poalign", "serve", "--host", "0.0.0.0", "--port", "8000"]
