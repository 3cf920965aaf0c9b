{#- The IKMS methods a build computes: var `ikms_methods` plus the one the monthly report
    publishes (var `methodology_version`), as a quoted SQL list. -#}
{% macro ikms_methods_in_use() -%}
    {%- set methods = var('ikms_methods', []) | list -%}
    {%- if var('methodology_version') not in methods -%}
        {%- do methods.append(var('methodology_version')) -%}
    {%- endif -%}
    {%- for method in methods %}'{{ method }}'{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}

{#- Weighted mean of the component scores available (rows with a null score drop out and
    their weight is re-normalised away). Geometric: scores floored at 1, because one zero
    component would otherwise zero the whole index. -#}
{% macro ikms_weighted_mean(score, weight, aggregation) -%}
    case {{ aggregation }}
        when 'geometric' then exp(
            sum({{ weight }} * ln(greatest({{ score }}, 1)))
            / nullif(sum({{ weight }}) filter (where {{ score }} is not null), 0)
        )
        else sum({{ weight }} * {{ score }})
            / nullif(sum({{ weight }}) filter (where {{ score }} is not null), 0)
    end
{%- endmacro %}
