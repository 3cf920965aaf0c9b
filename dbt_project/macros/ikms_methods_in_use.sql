{#- The IKMS methods a build computes: var `ikms_methods` plus the one the monthly report
    publishes (var `methodology_version`), as a quoted SQL list. -#}
{% macro ikms_methods_in_use() -%}
    {%- set methods = var('ikms_methods', []) | list -%}
    {%- if var('methodology_version') not in methods -%}
        {%- do methods.append(var('methodology_version')) -%}
    {%- endif -%}
    {%- for method in methods %}'{{ method }}'{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}
