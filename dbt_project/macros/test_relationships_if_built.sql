{#- A relationships test towards a reference dimension (dim_dates, dim_platforms), which the
    monthly run builds: the first daily runs of a new warehouse come before it, and a model's
    foreign key to it makes it an ancestor that the daily build selects the test for without
    building it. Until the dimension exists the test says so in the log and passes; from then
    on it is the plain relationships test (and publish creates the foreign key). -#}
{% test relationships_if_built(model, column_name, to, field) %}
{%- set built = true -%}
{%- if execute -%}
    {%- set found = run_query("select to_regclass('" ~ to.schema ~ "." ~ to.identifier ~ "') is not null") -%}
    {%- set built = found.columns[0].values()[0] -%}
{%- endif -%}
{%- if built %}
with child as (
    select * from {{ model }}
)
select child.{{ column_name }} as from_field
from child
left join {{ to }} as parent on child.{{ column_name }} = parent.{{ field }}
where child.{{ column_name }} is not null and parent.{{ field }} is null
{%- else -%}
{{ log(to.identifier ~ " is not built yet (the monthly run builds it): " ~ column_name ~ " is checked once it is", info=True) }}
select null as from_field where false
{%- endif %}
{% endtest %}
