-- name: Postingan teratas (top posts)
-- description: The posts of the month with the most interactions (likes, comments, shares, saves), with their account; a shared account's post appears once.
-- param month date 2026-09-01: Bulan (hari pertama)
-- param top number 20: Berapa postingan
select
    posts.account_id,
    posts.post_id,
    accounts.platform,
    accounts.handle,
    posts.metric_date,
    posts.post_type,
    posts.interactions,
    posts.views,
    posts.engagement_per_follower
from marts.fct_posts as posts
inner join marts.dim_official_accounts as accounts on posts.account_id = accounts.account_id
where posts.metric_date >= cast({{month}} as date)
    -- a date, not a timestamp (leakproof under row security: see 06)
    and posts.metric_date < cast(cast({{month}} as date) + interval '1 month' as date)
    and posts.interactions is not null
order by posts.interactions desc, posts.account_id, posts.post_id
limit cast({{top}} as integer)
