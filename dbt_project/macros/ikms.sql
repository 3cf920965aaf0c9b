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

{#- One row per institution and month: the version of the institution valid at the end of
    the month (or when it ended within it), for every month of `months` (a relation or CTE
    with a `month` column) the institution existed in. -#}
{% macro institution_versions_by_month(institutions, months) -%}
    select distinct on ({{ institutions }}.institution_id, {{ months }}.month) {{ institutions }}.*, {{ months }}.month
    from {{ institutions }}
    inner join {{ months }}
        on {{ institutions }}.valid_from < {{ months }}.month + interval '1 month'
        and ({{ institutions }}.valid_to is null or {{ institutions }}.valid_to >= {{ months }}.month)
    order by {{ institutions }}.institution_id, {{ months }}.month, {{ institutions }}.valid_from desc
{%- endmacro %}
