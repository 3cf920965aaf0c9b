{#- A daily build tests only the days it rebuilt, so that its cost does not grow with history
    (bench/warehouse_history.py). A model declares the column of its rebuilt window in
    `meta: {rebuilt_window: {column: metric_date, grain: day}}` (grain `month` for a model of
    months); each data test of that model then reads its rows from the first rebuilt day (or
    that day's month) on, when the build has a data_day. A build without one (a full build)
    tests every row. Every row, in the window or not, still satisfies the contract's
    constraints, which PostgreSQL checks: the primary key on the grain and not null. Days a
    late batch rebuilds outside the window (a file dropped for an old day) are checked by
    those constraints and by the raw audit, not by the data tests.

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

{#- The rebuilt window of the model a data test is attached to, as a condition; '' when the
    build has no data_day or the model declares no window. -#}
{% macro rebuilt_window_of_tested_model() -%}
    {%- set data_day = var('data_day') -%}
    {%- if not (execute and data_day and model.attached_node) -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node, {}) -%}
    {%- set window = tested.get('config', {}).get('meta', {}).get('rebuilt_window') -%}
    {%- if not window -%}
        {%- do return('') -%}
    {%- endif -%}
    {#- a date literal: the index on the column serves it, and the planner knows how few rows -#}
    {%- set first_day = modules.datetime.date.fromisoformat(data_day | string)
        - modules.datetime.timedelta(days=var('trailing_days') | int) -%}
    {%- if window.get('grain', 'day') == 'month' -%}
        {%- set first_day = first_day.replace(day=1) -%}
    {%- endif -%}
    {%- do return(window.column ~ " >= date '" ~ first_day.isoformat() ~ "'") -%}
{%- endmacro %}
