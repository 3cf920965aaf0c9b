{#- Percentile rank (0-100] of `column` among the accounts of the same month, platform
    and peer group. Never across platforms: engagement rates differ ~100x between them.
    Ties share a value (cume_dist); a null feature gets no percentile instead of the top one. -#}
{% macro percentile_in_peer_group(column) -%}
    case when {{ column }} is not null then
        (100 * cume_dist() over (
            partition by month, platform, peer_group, ({{ column }} is null) order by {{ column }}
        ))::numeric
    end
{%- endmacro %}

{#- The mean of the non-null arguments; null when all are null. -#}
{% macro mean_of_available(columns) -%}
    ({% for c in columns %}coalesce({{ c }}, 0){% if not loop.last %} + {% endif %}{% endfor %})
    / nullif({% for c in columns %}({{ c }} is not null)::int{% if not loop.last %} + {% endif %}{% endfor %}, 0)
{%- endmacro %}
