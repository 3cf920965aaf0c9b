"""The only Airflow and Cosmos code of the package.

- `dag_defaults`: what every DAG shares (owner, retries, start, time zone, the data day of a run);
- `dbt_groups`: the Cosmos task groups that run dbt inside the DAGs;
- `runner`: runs the DAGs through Airflow on this machine, for `make run`.
"""
