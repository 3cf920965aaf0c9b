{#- The planned days (planned_days) as a SQL date array, e.g. for `metric_date = any(...)`. -#}
{% macro planned_days_array() %}
    {%- do return("array['" ~ planned_days() | join("', '") ~ "']::date[]") -%}
{% endmacro %}
