-- name: Perbandingan platform (platforms compared)
-- description: Per platform for the month: institutions and accounts present, mean coverage, posts per week, median interactions per post and reply rate of the institutions present.
-- param month date 2026-09-01: Bulan (hari pertama)
select
    platforms.platform,
    platforms.display_name,
    count(*) as institutions,
    sum(platform_months.accounts) as accounts,
    round(avg(platform_months.coverage), 4) as mean_coverage,
    round(avg(platform_months.posts_per_week), 2) as mean_posts_per_week,
    percentile_cont(0.5) within group (order by platform_months.median_interactions_per_post)
        as median_interactions_per_post,
    round(avg(platform_months.reply_rate), 4) as mean_reply_rate
from reports.rpt_institution_platforms_monthly as platform_months
inner join marts.dim_platforms as platforms on platform_months.platform = platforms.platform
where platform_months.month = cast({{month}} as date)
group by platforms.platform, platforms.display_name
order by platforms.platform
