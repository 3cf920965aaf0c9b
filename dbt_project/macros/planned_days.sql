{#- The days a daily build rebuilds, as planned once by kinerja.landing.plan before dbt runs
    and passed as the var `days_to_build` (ISO dates, a comma-separated string or a list):
    the data day and its trailing days, and the days of every batch audited since the last
    publish (a file dropped for an old day). The same days bound what the data tests read
    (get_where_subquery), what the build audit checks and what publish copies. Unset or
    empty: a full build of every day. Returns the days as a sorted list of ISO strings. -#}
{% macro planned_days() %}
    {%- set given = var('days_to_build', '') or '' -%}
    {%- set items = given.split(',') if given is string else given -%}
    {%- set days = [] -%}
    {%- for item in items if (item | string | trim) -%}
        {%- do days.append(modules.datetime.date.fromisoformat(item | string | trim).isoformat()) -%}
    {%- endfor -%}
    {%- do return(days | unique | sort | list) -%}
{% endmacro %}
