{#- (account_id, metric_date) is the contract's primary key (rpt_crisis_signals_daily.yml):
    no unique index here.
    A contract allows only append_new_columns or fail: a column added to the model and its contract is appended. -#}
{{
    config(
        meta={'rebuilt_window': {'column': 'metric_date'}},
        materialized='incremental',
        unique_key=['account_id', 'metric_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        tags=['daily'],
        indexes=[
            {'columns': ['metric_date', 'severity']},
        ],
    )
}}

-- Crisis signals per account and day: the day's comment volume, anger reactions and share
-- of comments answered within 24 h against the same account's previous 7 days (mean plus or
-- minus k standard deviations). The rule is in docs/methodology.md ("Sinyal krisis").
-- A daily run judges its planned days again (planned_days: late and restated rows,
-- provisional days that became final); it reads 7 more days for their baselines.
{% set days = planned_days() %}
{% set baseline_days = 7 %}
{% set k = var('crisis_k') %}
{% set min_volume = var('crisis_min_volume') %}

with

daily as (
    select
        account_id,
        metric_date,
        platform,
        source,
        comments,
        angry,
        replies_24h,
        -- the share of the day's comments answered within 24 h
        replies_24h::numeric / nullif(comments, 0) as reply_share_24h
    from {{ ref('fct_account_daily') }}
    {% if is_incremental() and days %}
    where metric_date between date '{{ days[0] }}' - {{ baseline_days }} and date '{{ days[-1] }}'
    {% endif %}
),

-- days whose completeness the raw audit still calls provisional: the platform may restate them
provisional_days as (
    select * from {{ ref('int_platform_days_provisional') }}
),

-- the previous 7 calendar days of the account; a day without a value does not count
baselines as (
    select
        daily.*,
        count(daily.comments) over previous_week as baseline_days,
        avg(daily.comments) over previous_week as comments_baseline_mean,
        stddev_samp(daily.comments) over previous_week as comments_baseline_stddev,
        avg(daily.angry) over previous_week as angry_baseline_mean,
        stddev_samp(daily.angry) over previous_week as angry_baseline_stddev,
        avg(daily.reply_share_24h) over previous_week as reply_share_baseline_mean,
        stddev_samp(daily.reply_share_24h) over previous_week as reply_share_baseline_stddev
    from daily
    window previous_week as (
        partition by account_id order by metric_date
        range between interval '{{ baseline_days }} days' preceding and interval '1 day' preceding
    )
),

judged as (
    select
        baselines.*,
        case
            when baselines.comments is null then 'not_reported'
            when provisional_days.metric_date is not null then 'provisional'
            when baselines.baseline_days < {{ var('crisis_min_baseline_days') }} then 'short_history'
            else 'judged'
        end as judgement,
        -- thresholds: a flat baseline (stddev 0) is not certainty; counts vary at least by
        -- their square root (Poisson), shares by crisis_min_share_stddev
        baselines.comments_baseline_mean + {{ k }} * greatest(
            baselines.comments_baseline_stddev, sqrt(baselines.comments_baseline_mean), 1
        ) as comments_threshold,
        baselines.angry_baseline_mean + {{ k }} * greatest(
            baselines.angry_baseline_stddev, sqrt(baselines.angry_baseline_mean), 1
        ) as angry_threshold,
        baselines.reply_share_baseline_mean - {{ k }} * greatest(
            baselines.reply_share_baseline_stddev, {{ var('crisis_min_share_stddev') }}
        ) as reply_share_threshold
    from baselines
    left join provisional_days
        on baselines.source = provisional_days.source
        and baselines.metric_date = provisional_days.metric_date
        and baselines.platform = provisional_days.platform
    {% if is_incremental() and days %}
    where baselines.metric_date = any({{ planned_days_array() }})
    {% endif %}
),

-- a signal is judged (true or false) only on a judged day with the metric and enough volume
-- to mean something; otherwise it is null
signals as (
    select
        judged.*,
        case
            when judged.judgement = 'judged' and judged.comments >= {{ min_volume }}
                then judged.comments > judged.comments_threshold
        end as comment_surge,
        case
            when
                judged.judgement = 'judged'
                and judged.angry >= {{ min_volume }}
                and judged.angry_baseline_mean is not null
                then judged.angry > judged.angry_threshold
        end as anger_surge,
        case
            when
                judged.judgement = 'judged'
                and judged.comments >= {{ min_volume }}
                and judged.reply_share_baseline_mean is not null
                then judged.reply_share_24h < judged.reply_share_threshold
        end as reply_collapse
    from judged
),

final as (
    select
        account_id,
        metric_date,
        platform,
        source,
        judgement,
        baseline_days::int as baseline_days,
        comments::bigint as comments,
        round(comments_baseline_mean::numeric, 2) as comments_baseline_mean,
        round(comments_baseline_stddev::numeric, 2) as comments_baseline_stddev,
        round(comments_threshold::numeric, 2) as comments_threshold,
        comment_surge,
        angry::bigint as angry,
        round(angry_baseline_mean::numeric, 2) as angry_baseline_mean,
        round(angry_baseline_stddev::numeric, 2) as angry_baseline_stddev,
        round(angry_threshold::numeric, 2) as angry_threshold,
        anger_surge,
        round(reply_share_24h::numeric, 4) as reply_share_24h,
        round(reply_share_baseline_mean::numeric, 4) as reply_share_baseline_mean,
        round(reply_share_baseline_stddev::numeric, 4) as reply_share_baseline_stddev,
        round(reply_share_threshold::numeric, 4) as reply_share_threshold,
        reply_collapse,
        nullif(concat_ws(
            ',',
            case when comment_surge then 'comments' end,
            case when anger_surge then 'anger' end,
            case when reply_collapse then 'reply_collapse' end
        ), '') as signals_fired,
        (comment_surge is true)::int
        + (anger_surge is true)::int
        + (reply_collapse is true)::int as signal_count,
        -- one signal alone is a watch (a viral post also draws comments); an alert needs a
        -- second signal to corroborate it
        case
            when judgement <> 'judged' then null
            else
                case (comment_surge is true)::int + (anger_surge is true)::int + (reply_collapse is true)::int
                    when 0 then 'normal'
                    when 1 then 'watch'
                    when 2 then 'alert'
                    else 'critical'
                end
        end as severity,
        {{ k }}::numeric as crisis_k
    from signals
)

select * from final
