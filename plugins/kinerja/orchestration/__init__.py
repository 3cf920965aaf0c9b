"""The only Airflow and Cosmos code of the package.

- `dag_defaults`: what every DAG shares (owner, retries, start, time zone, the data day of a run);
- `dbt_build`: the one Cosmos `dbt build` task of each DAG;
- `runner`: runs the DAGs through Airflow on this machine, for `make run`.
"""
