{#- A daily build tests only the days it rebuilt, so that its cost does not grow with history.
    A model declares the column of its rebuilt window in
    `meta: {rebuilt_window: {column: metric_date, grain: day}}` (grain `month` for a model of
    months, `since` for a time of landing or auditing); each data test of that model then
    reads the rows of the planned days (or of their months, or from the first of them on),
    the days the build audit checks and publish copies (planned_days). A
    build without planned days (a full build) tests every row. Every row still satisfies the
    contract's constraints, which PostgreSQL checks: the primary key on the grain and not null.

    dbt's own `where` config still applies, and both combine. dbt allows no macro in a `where`
    config, so the window is read here, where dbt builds every test's filtered relation. -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- set window = rebuilt_window_of_tested_model() -%}
    {%- if window -%}
        {%- do conditions.append(window) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
