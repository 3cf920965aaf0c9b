#!/usr/bin/env bash
# The one-off steps of a deployment (docker compose's airflow-init service), each safe to repeat:
# Airflow's metadata database migrated (the FAB auth manager's tables too), the pool `dbt`
# (one dbt build at a time), the first admin user, the registry loaded and the project's roles
# applied (`kinerja roles apply`: the BI role and the province roles with their passwords from
# the environment, before metabase-setup connects as them). The dbt manifest is built into the
# image (Dockerfile): it belongs to the code's version.
set -euo pipefail

airflow db migrate
airflow fab-db migrate
airflow pools set dbt 1 "one dbt build at a time"
if airflow users list --output plain | awk '{print $2}' | grep -qx "$AIRFLOW_ADMIN_USER"; then
    echo "init.sh: user $AIRFLOW_ADMIN_USER exists"
else
    airflow users create --role Admin --username "$AIRFLOW_ADMIN_USER" --password "$AIRFLOW_ADMIN_PASSWORD" \
        --email "$AIRFLOW_ADMIN_EMAIL" --firstname Kinerja --lastname Admin
fi
test -s "${KINERJA_DBT_TARGET_PATH:-/opt/kinerja/dbt_project/target}/manifest.json" \
    || { echo "init.sh: the image holds no dbt manifest: rebuild it (docker compose build)" >&2; exit 1; }
kinerja registry load
# never blocks the stack: the daily DAG applies the roles again after every publish
kinerja roles apply || echo "init.sh: the roles were not applied (above: what to do); Metabase's province connections wait for them" >&2
echo "init.sh: Airflow's metadata database, the pool dbt and the user $AIRFLOW_ADMIN_USER are ready"
