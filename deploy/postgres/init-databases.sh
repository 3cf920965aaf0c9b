#!/usr/bin/env bash
# Creates Kinerja's databases and their owners, once: the official postgres image runs
# /docker-entrypoint-initdb.d/ scripts only when its data volume is empty.
#   - the warehouse: user, password and database of KINERJA_WAREHOUSE_URL; its user also gets
#     CREATEROLE, so that `kinerja roles apply` (airflow-init, then the daily DAG) creates and
#     keeps the loader, transformer, BI and province roles (on PostgreSQL 16 a role may change
#     only the roles it created: the BI role is not created here)
#   - Airflow's metadata: user, password and database of AIRFLOW_DATABASE_URL
#   - Metabase's application database: METABASE_DB_NAME owned by METABASE_DB_USER (both
#     `metabase` unless set), password METABASE_DB_PASSWORD
# Passwords in the URLs must not need percent-encoding (letters and digits: `openssl rand -hex 24`).
set -euo pipefail

# postgresql[+driver]://USER:PASSWORD@HOST[:PORT]/DATABASE[?...] -> "USER PASSWORD DATABASE"
url_parts() {
    local url=$1 rest creds database
    rest=${url#*://}
    creds=${rest%%@*}
    database=${rest#*/}
    database=${database%%\?*}
    if [[ $creds == "$rest" || $creds != *:* || -z $database ]]; then
        echo "init-databases.sh: cannot read user, password and database from '${url%%:*}://...':" \
            "write it as postgresql://USER:PASSWORD@postgres:5432/DATABASE" >&2
        exit 1
    fi
    echo "${creds%%:*} ${creds#*:} ${database}"
}

create_owned_database() {  # user password database [role attributes]
    psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres \
        -v user="$1" -v password="$2" -v database="$3" -v attributes="${4:-}" <<'SQL'
select format('create role %I login %s password %L', :'user', :'attributes', :'password')
where not exists (select from pg_roles where rolname = :'user') \gexec
select format('create database %I owner %I', :'database', :'user')
where not exists (select from pg_database where datname = :'database') \gexec
SQL
}

read -r warehouse_user warehouse_password warehouse_db <<<"$(url_parts "$KINERJA_WAREHOUSE_URL")"
read -r airflow_user airflow_password airflow_db <<<"$(url_parts "$AIRFLOW_DATABASE_URL")"

create_owned_database "$warehouse_user" "$warehouse_password" "$warehouse_db" createrole
create_owned_database "$airflow_user" "$airflow_password" "$airflow_db"
create_owned_database "${METABASE_DB_USER:-metabase}" "$METABASE_DB_PASSWORD" "${METABASE_DB_NAME:-metabase}"

echo "init-databases.sh: databases $warehouse_db, $airflow_db, ${METABASE_DB_NAME:-metabase} are ready; $warehouse_user may create the project's roles"
