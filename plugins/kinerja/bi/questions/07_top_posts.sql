-- name: Postingan teratas (top posts)
-- description: The posts of the month with the most interactions (likes, comments, shares, saves), with their account; a shared account's post appears once. A province sees its own province's best. At most 100: the report keeps each province's 100 best of a month.
-- param month date 2026-09-01: Bulan (hari pertama)
-- param top number 20: Berapa postingan (paling banyak 100)
select
    top_posts.account_id,
    top_posts.post_id,
    top_posts.platform,
    top_posts.handle,
    top_posts.post_date,
    top_posts.post_type,
    top_posts.interactions,
    top_posts.views,
    top_posts.engagement_per_follower,
    top_posts.rank_in_province
from reports.rpt_top_posts_monthly as top_posts
where top_posts.month = cast({{month}} as date)
order by top_posts.interactions desc, top_posts.account_id, top_posts.post_id
limit cast({{top}} as integer)
