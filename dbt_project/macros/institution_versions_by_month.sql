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
