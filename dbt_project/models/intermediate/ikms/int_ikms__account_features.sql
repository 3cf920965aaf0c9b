-- One row per IKMS method, period, account, institution and feature the method defines
-- (seed ikms_features): the feature's value, computed from its definition alone. A
-- feature's metrics are added up per day (or per post), the sum aggregated over the
-- period, then divided by what it is "per". Adding a feature of catalogue metrics is a
-- seed row: nothing here names a feature.
with

account_periods as (
    select * from {{ ref('int_ikms__account_periods') }}
),

daily as (
    select * from {{ ref('int_account_days_by_institution') }}
),

posts as (
    select * from {{ ref('fct_posts') }}
),

methods as (
    select * from {{ ref('ikms_methods') }}
    where methodology_version in ({{ ikms_methods_in_use() }})
),

features as (
    select * from {{ ref('ikms_features') }}
    where methodology_version in ({{ ikms_methods_in_use() }})
),

-- one row per feature and metric it adds up: whether a day (post) without a value of the
-- metric counts it as 0 or leaves the feature without a value that day
feature_metrics as (
    select
        features.methodology_version,
        features.feature,
        features.aggregation,
        trim(metric_names.metric) as metric,
        trim(metric_names.metric) = any(
            regexp_split_to_array(trim(coalesce(features.zero_when_missing, '')), '\s+')
        ) as is_zero_when_missing
    from features
    cross join lateral regexp_split_to_table(features.metrics, '\+') as metric_names (metric)
),

-- per feature, whether it adds up each account-day metric of the catalogue, and whether a
-- day without a value of it counts it as 0
feature_flags as (
    select
        methodology_version,
        feature,
        aggregation in ('period_end', 'weekly_growth') as uses_ends,
        {{ ikms_metric_flags() }}
    from feature_metrics
    where aggregation != 'sum_over_posts'
    group by methodology_version, feature, aggregation
),

-- a feature's metrics added up per account-day (macros/ikms_feature_days.sql): one pass
-- over the days, no unpivot
feature_days as (
    select
        feature_flags.methodology_version,
        feature_flags.feature,
        feature_flags.uses_ends,
        daily.account_id,
        daily.institution_id,
        daily.metric_date,
        {{ ikms_feature_day_value('feature_flags', 'daily') }} as day_value
    from daily
    cross join feature_flags
),

-- read twice below: not materialized, so each reading computes only the days it needs
feature_period_days as not materialized (
    select
        feature_days.*,
        date_trunc(methods.period, feature_days.metric_date)::date as period_start
    from feature_days
    inner join methods on feature_days.methodology_version = methods.methodology_version
),

-- sums, means and counts group by hashing; the ordered aggregates of the period's ends need
-- sorted input, so they are computed apart, on the days of the features that use them
feature_period_totals as (
    select
        methodology_version,
        feature,
        period_start,
        account_id,
        institution_id,
        sum(day_value) as value_sum,
        avg(day_value) as value_mean,
        count(*) filter (where day_value > 0) as days_above_zero,
        max(metric_date) filter (where day_value is not null)
        - min(metric_date) filter (where day_value is not null) as days_between_values
    from feature_period_days
    group by methodology_version, feature, period_start, account_id, institution_id
),

feature_period_ends as (
    select
        methodology_version,
        feature,
        period_start,
        account_id,
        institution_id,
        (array_agg(day_value order by metric_date desc))[1] as value_last,
        (array_agg(day_value order by metric_date))[1] as value_first
    from feature_period_days
    where uses_ends and day_value is not null
    group by methodology_version, feature, period_start, account_id, institution_id
),

feature_periods as (
    select
        feature_period_totals.*,
        feature_period_ends.value_last,
        feature_period_ends.value_first
    from feature_period_totals
    left join feature_period_ends
        on feature_period_totals.methodology_version = feature_period_ends.methodology_version
        and feature_period_totals.feature = feature_period_ends.feature
        and feature_period_totals.period_start = feature_period_ends.period_start
        and feature_period_totals.account_id = feature_period_ends.account_id
        and feature_period_totals.institution_id = feature_period_ends.institution_id
),

-- the catalogue of post metrics (lifetime totals), for the posts published in the period
post_metrics as (
    select
        posts.account_id,
        posts.post_id,
        posts.metric_date,
        catalogue.metric,
        catalogue.value
    from posts
    cross join
        lateral (
            values
            ('views', posts.views),
            ('reach', posts.reach),
            ('likes', posts.likes),
            ('comments', posts.comments),
            ('shares', posts.shares),
            ('saves', posts.saves),
            ('angry', posts.angry),
            ('replies', posts.replies),
            ('replies_24h', posts.replies_24h)
        ) as catalogue (metric, value)
    where catalogue.metric in (
        select feature_metrics.metric from feature_metrics
        where feature_metrics.aggregation = 'sum_over_posts'
    )
),

feature_posts as (
    select
        account_periods.methodology_version,
        feature_metrics.feature,
        account_periods.period_start,
        account_periods.account_id,
        account_periods.institution_id,
        post_metrics.post_id,
        case
            when bool_and(post_metrics.value is not null or feature_metrics.is_zero_when_missing)
                then sum(coalesce(post_metrics.value, 0))
        end as post_value
    from account_periods
    inner join post_metrics
        on account_periods.account_id = post_metrics.account_id
        and post_metrics.metric_date between account_periods.period_start and account_periods.period_end
    inner join feature_metrics
        on account_periods.methodology_version = feature_metrics.methodology_version
        and post_metrics.metric = feature_metrics.metric
    where feature_metrics.aggregation = 'sum_over_posts'
    group by
        account_periods.methodology_version, feature_metrics.feature, account_periods.period_start,
        account_periods.account_id, account_periods.institution_id, post_metrics.post_id
),

feature_post_periods as (
    select
        methodology_version,
        feature,
        period_start,
        account_id,
        institution_id,
        sum(post_value) as value_sum
    from feature_posts
    group by methodology_version, feature, period_start, account_id, institution_id
),

-- every feature of the method for every account-period, aggregated over the period
aggregated as (
    select
        account_periods.*,
        features.feature,
        features.missing,
        regexp_split_to_array(trim(coalesce(features.per, '')), '\s+') as per_units,
        case features.aggregation
            when 'period_end' then feature_periods.value_last
            when 'mean' then feature_periods.value_mean
            when 'sum' then feature_periods.value_sum
            when 'sum_over_posts' then feature_post_periods.value_sum
            when 'share_of_days' then feature_periods.days_above_zero::numeric / account_periods.days_reported
            -- compound growth per week between the first and the last value of the period
            when 'weekly_growth' then power(
                feature_periods.value_last / nullif(feature_periods.value_first, 0),
                7.0 / nullif(feature_periods.days_between_values, 0)
            ) - 1
        end as value_0
    from account_periods
    inner join features on account_periods.methodology_version = features.methodology_version
    left join feature_periods
        on account_periods.methodology_version = feature_periods.methodology_version
        and account_periods.period_start = feature_periods.period_start
        and account_periods.account_id = feature_periods.account_id
        and account_periods.institution_id = feature_periods.institution_id
        and features.feature = feature_periods.feature
    left join feature_post_periods
        on account_periods.methodology_version = feature_post_periods.methodology_version
        and account_periods.period_start = feature_post_periods.period_start
        and account_periods.account_id = feature_post_periods.account_id
        and account_periods.institution_id = feature_post_periods.institution_id
        and features.feature = feature_post_periods.feature
),

-- "per" units in the order written ("post follower": per post, then per follower)
per_first as (
    select
        *,
        {{ ikms_per('value_0', 'per_units[1]') }} as value_1
    from aggregated
),

per_second as (
    select
        *,
        {{ ikms_per('value_1', 'per_units[2]') }} as value_2
    from per_first
),

per_third as (
    select
        *,
        {{ ikms_per('value_2', 'per_units[3]') }} as value_3
    from per_second
),

final as (
    select
        methodology_version,
        period,
        period_start,
        period_end,
        account_id,
        institution_id,
        peer_group,
        comparison_group,
        platform,
        is_covered,
        avg_followers,
        account_weight,
        feature,
        -- double precision: scores compare values, nothing is summed from them
        (case
            when missing = 'zero' then coalesce(value_3, 0)
            else value_3
        end)::float8 as value  -- noqa: RF04
    from per_third
)

select * from final
