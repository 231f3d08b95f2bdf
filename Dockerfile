# The one image every careerflow process of temporal-compose.yml runs: a Temporal worker
# (`careerflow worker`), the projection runner (`careerflow projections run`), the HTTP API
# (`careerflow api`) and one-shot commands (`careerflow policy seed`, `demo load`, ...).
# Configured by environment variables only (README.md, "Configuration").
#
#   docker build -t careerflow:0.1.0 .        (the tag is pyproject's version)
#
# tests/test_compose.py checks that this file installs what pyproject.toml declares.
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CAREERFLOW_VAR_DIR=/var/lib/careerflow

WORKDIR /app

# The project's metadata, its top-level module and its packages (pyproject.toml:
# [tool.setuptools] py-modules and [tool.setuptools.packages.find] include).
COPY pyproject.toml README.md worker.py ./
COPY careerflow ./careerflow
COPY workflows ./workflows
COPY activities ./activities
COPY aggregates ./aggregates
COPY projections ./projections
COPY words ./words

# A regular (not editable) install of the runtime dependencies only: no dev extras.
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /var/lib/careerflow --create-home careerflow

# Not root; the var dir holds nothing in a scale-out deployment (no embedded servers),
# the working directory must not shadow the installed packages with a stale copy.
USER careerflow
WORKDIR /var/lib/careerflow

ENTRYPOINT ["careerflow"]
CMD ["--help"]
