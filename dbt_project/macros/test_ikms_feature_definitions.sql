{#- Every part of a feature definition (seed ikms_features) that names something names what
    the catalogue has: one row per problem, saying which feature and what to fix. -#}
{% test ikms_feature_definitions(model) %}
{%- set account_day_metrics = ikms_account_day_metrics() -%}
{%- set post_metrics = account_day_metrics | reject('in', ['followers', 'posts']) | list -%}
{%- set per_units = ['post', 'comment', 'follower', 'day', 'week', '1000_residents'] -%}
with

definitions as (
    select
        methodology_version,
        feature,
        aggregation,
        array(select trim(part) from regexp_split_to_table(metrics, '\+') as part) as metric_list,
        regexp_split_to_array(nullif(trim(coalesce(zero_when_missing, '')), ''), '\s+') as zero_list,
        regexp_split_to_array(nullif(trim(coalesce(per, '')), ''), '\s+') as per_list
    from {{ model }}
),

problems as (
    select
        methodology_version,
        feature,
        'metric "' || metric || '" is not in the catalogue of '
        || case when aggregation = 'sum_over_posts' then 'post' else 'account-day' end
        || ' metrics' as problem
    from definitions
    cross join lateral unnest(metric_list) as metric
    where metric not in (
        {%- for m in account_day_metrics %}'{{ m }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    )
    or (aggregation = 'sum_over_posts' and metric not in (
        {%- for m in post_metrics %}'{{ m }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    ))
    union all
    select
        methodology_version,
        feature,
        'zero_when_missing names "' || zero_metric || '", which is not one of its metrics' as problem
    from definitions
    cross join lateral unnest(zero_list) as zero_metric
    where not zero_metric = any(metric_list)
    union all
    select
        methodology_version,
        feature,
        'per names "' || unit || '": use post, comment, follower, day, week or 1000_residents' as problem
    from definitions
    cross join lateral unnest(per_list) as unit
    where unit not in ({%- for u in per_units %}'{{ u }}'{% if not loop.last %}, {% endif %}{% endfor -%})
    union all
    select
        methodology_version,
        feature,
        'per has ' || cardinality(per_list) || ' units: at most 3' as problem
    from definitions
    where cardinality(per_list) > 3
)

select * from problems
{% endtest %}
