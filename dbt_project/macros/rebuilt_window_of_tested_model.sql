{#- The planned days of the model a data test is attached to, as a condition; '' when the
    build has no planned days (a full build) or the model declares no window. -#}
{% macro rebuilt_window_of_tested_model() -%}
    {%- set days = planned_days() -%}
    {%- if not (execute and days and model.attached_node) -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node, {}) -%}
    {%- set window = tested.get('config', {}).get('meta', {}).get('rebuilt_window') -%}
    {%- if not window -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set grain = window.get('grain', 'day') -%}
    {%- if grain == 'since' -%}
        {#- a time of landing or auditing: the rows from the first planned day on -#}
        {%- do return(window.column ~ " >= date '" ~ days[0] ~ "'") -%}
    {%- endif -%}
    {%- if grain == 'month' -%}
        {%- set months = [] -%}
        {%- for day in days -%}
            {%- do months.append(day[:8] ~ '01') -%}
        {%- endfor -%}
        {%- set days = months | unique | list -%}
    {%- endif -%}
    {#- date literals and their first as a bound: the index on the column serves it -#}
    {%- do return(window.column ~ " >= date '" ~ days[0] ~ "' and " ~ window.column
        ~ " = any(array['" ~ days | join("', '") ~ "']::date[])") -%}
{%- endmacro %}
