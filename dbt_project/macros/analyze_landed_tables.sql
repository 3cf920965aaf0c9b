{#- Planner statistics of the raw tables before a build reads them. Python lands their rows
    (COPY) and nothing analyzes them there: without this the first builds after a history run
    planned fct_posts' read of raw.post_daily from the statistics of an emptier table
    (docs/architecture.md). analyze samples a bounded number of rows, so it stays cheap on
    years of history. Run as `on-run-start` (dbt_project.yml) by every build. -#}
{% macro analyze_landed_tables() %}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- for table in ('account_daily', 'post_daily', 'quarantine', 'batch_ledger') -%}
            analyze {{ source('raw', table) }};
        {% endfor -%}
    {%- endif -%}
{% endmacro %}
