# Kinerja's Airflow image: the official Airflow 3.3 image (slim: no providers beyond the core's,
# so that requirements.lock decides every version) with the project installed.
# docker-compose.yml builds it; every Airflow service and worker runs it.
FROM apache/airflow:slim-3.3.2-python3.11

USER root
# WeasyPrint (scorecards) draws text with Pango
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /opt/kinerja/data && chown -R airflow:root /opt/kinerja
USER airflow

# the lock first: this layer is rebuilt only when the lock changes
COPY --chown=airflow:root requirements.lock /opt/kinerja/requirements.lock
RUN pip install --no-cache-dir --requirement /opt/kinerja/requirements.lock

COPY --chown=airflow:root . /opt/kinerja
# editable: kinerja.config finds dags/, dbt_project/ and expectations/ beside the package
RUN pip install --no-cache-dir --no-deps --no-build-isolation --editable /opt/kinerja

# The project's constants for every Airflow process (kinerja.config.airflow_environment and
# TELEMETRY_OFF hold the same for the local processes); the deployment's own settings come
# from docker-compose.yml.
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/kinerja/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/kinerja/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DEFAULT_TIMEZONE=utc \
    AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS=False \
    AIRFLOW__COSMOS__ENABLE_CACHE=True \
    AIRFLOW__COSMOS__CACHE_DIR=/opt/kinerja/data/cosmos-cache \
    AIRFLOW__COSMOS__PROPAGATE_LOGS=False \
    DBT_INDIRECT_SELECTION=buildable \
    DO_NOT_TRACK=1 \
    SCARF_ANALYTICS=false \
    AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    GX_ANALYTICS_ENABLED=False \
    KINERJA_DBT_TARGET_PATH=/opt/kinerja/dbt_project/target

# The dbt manifest (publish reads it) and partial-parse file, built once for this version of the code.
# `dbt parse` reads the profile but connects to no database: the profile's variables are placeholders.
RUN cd /opt/kinerja/dbt_project \
    && KINERJA_PGHOST=postgres KINERJA_PGUSER=kinerja KINERJA_PGDATABASE=kinerja \
       dbt parse --quiet --project-dir . --profiles-dir . --target-path "$KINERJA_DBT_TARGET_PATH"

WORKDIR /opt/kinerja
