{#- Counts are never negative: a row that is means a check upstream let it through. -#}
{% test non_negative(model, columns) %}
select *
from {{ model }}
where {% for column in columns %}{{ column }} < 0{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
