{#- A method ranks within the peer groups or within a comparison group the registry names
    (comparison_groups.csv): one row per method naming a group the registry does not have. -#}
{% test ikms_grouping_known(model, column_name) %}
select
    methodology_version,
    {{ column_name }},
    'no comparison group ' || {{ column_name }} || ' in the registry: add it to comparison_groups.csv'
    || ' or rank within peer_group' as problem
from {{ model }}
where
    {{ column_name }} != 'peer_group'
    and {{ column_name }} not in (select group_id from {{ ref('stg_registry__comparison_groups') }})
{% endtest %}
