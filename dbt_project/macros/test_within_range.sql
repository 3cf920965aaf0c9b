{#- A column's values lie within [min_value, max_value] (nulls pass: "no value" is allowed).
    `tolerance` absorbs the rounding of double precision means (100.00000000000001). -#}
{% test within_range(model, column_name, min_value, max_value, tolerance=0) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }} - {{ tolerance }} or {{ column_name }} > {{ max_value }} + {{ tolerance }}
{% endtest %}
