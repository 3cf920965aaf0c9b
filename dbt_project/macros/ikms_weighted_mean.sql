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
