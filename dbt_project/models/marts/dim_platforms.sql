-- One row per platform: its metric day zone, which canonical metrics it reports, how long
-- it restates a day and how far back it serves history (seed platforms).
with

platforms as (
    select * from {{ ref('platforms') }}
),

final as (
    select
        platform,
        display_name,
        metric_day_zone,
        -- the zone as people in Indonesia name it
        case metric_day_zone
            when 'America/Los_Angeles' then 'US Pacific'
            when 'Asia/Jakarta' then 'WIB'
        end as metric_day_zone_label,
        reports_followers,
        reports_views,
        reports_reach,
        reports_likes,
        reports_comments,
        reports_shares,
        reports_saves,
        reports_angry,
        reports_replies,
        restatement_window_days,
        history_limit_days,
        history_limit_note
    from platforms
)

select * from final
