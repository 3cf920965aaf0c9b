{{
    config(
        indexes=[
            {'columns': ['month', 'institution_id'], 'unique': true},
            {'columns': ['month', 'peer_group']},
        ],
    )
}}

with

daily as (
    select * from {{ ref('int_account_days_by_institution') }}
),

institutions as (
    select * from {{ ref('dim_institutions') }}
),

weights as (
    select component, weight from {{ ref('methodology_weights') }}
    where methodology_version = '{{ var("methodology_version") }}'
),

months as (
    select distinct date_trunc('month', metric_date)::date as month from daily
),

-- every institution in every month, scored or not: no data is "Data tidak cukup", never last
institution_months as (
    -- the version of each institution valid at the end of the month (or when it ended)
    select distinct on (institutions.institution_id, months.month) institutions.*, months.month
    from institutions
    inner join months
        on institutions.valid_from < months.month + interval '1 month'
        and (institutions.valid_to is null or institutions.valid_to >= months.month)
    order by institutions.institution_id, months.month, institutions.valid_from desc
),

account_months as (
    select
        account_id,
        institution_id,
        platform,
        date_trunc('month', metric_date)::date as month,
        count(*) as days_reported,
        sum(posts) as posts,
        count(*) filter (where posts > 0) as posting_days,
        avg(followers) as avg_followers,
        sum(views) as views,
        sum(interactions) as interactions,
        sum(comments) as comments,
        sum(replies_24h) as replies_24h,
        (array_agg(followers order by metric_date))[1] as followers_first,
        (array_agg(followers order by metric_date desc))[1] as followers_last,
        max(metric_date) - min(metric_date) as days_observed
    from daily
    group by account_id, institution_id, platform, date_trunc('month', metric_date)
),

account_features as (
    select
        account_months.*,
        institution_months.peer_group,
        -- coverage is judged against the whole calendar month
        days_reported::numeric
            / extract(day from account_months.month + interval '1 month' - interval '1 day') as coverage,
        posts * 7.0 / days_reported as posts_per_week,
        posting_days::numeric / days_reported as posting_day_share,
        -- weekly compound growth of followers over the observed days
        power(
            followers_last::numeric / nullif(followers_first, 0), 7.0 / nullif(days_observed, 0)
        ) - 1 as weekly_growth,
        views / nullif(avg_followers, 0) as views_per_follower,
        interactions / nullif(posts, 0) / nullif(avg_followers, 0) as engagement_per_post,
        replies_24h::numeric / nullif(comments, 0) as replies_within_24h_share
    from account_months
    inner join institution_months
        on account_months.institution_id = institution_months.institution_id
        and account_months.month = institution_months.month
),

-- only accounts with enough days in the month are scored
eligible_accounts as (
    select * from account_features
    where coverage >= {{ var('min_coverage', 0.8) }}
),

account_percentiles as (
    select
        *,
        {{ percentile_in_peer_group('posts_per_week') }} as posts_per_week_pct,
        {{ percentile_in_peer_group('posting_day_share') }} as posting_day_share_pct,
        {{ percentile_in_peer_group('weekly_growth') }} as weekly_growth_pct,
        {{ percentile_in_peer_group('views_per_follower') }} as views_per_follower_pct,
        {{ percentile_in_peer_group('engagement_per_post') }} as engagement_pct,
        {{ percentile_in_peer_group('replies_within_24h_share') }} as responsiveness_pct
    from eligible_accounts
),

account_components as (
    select
        institution_id,
        month,
        -- platforms combine by each account's share of the institution's followers
        greatest(avg_followers, 1) as audience_weight,
        {{ mean_of_available(['posts_per_week_pct', 'posting_day_share_pct']) }} as activity,
        {{ mean_of_available(['weekly_growth_pct', 'views_per_follower_pct']) }} as reach,
        engagement_pct as engagement,
        responsiveness_pct as responsiveness
    from account_percentiles
),

institution_components as (
    select
        institution_id,
        month,
        sum(audience_weight * activity) / nullif(sum(audience_weight) filter (where activity is not null), 0) as activity,
        sum(audience_weight * reach) / nullif(sum(audience_weight) filter (where reach is not null), 0) as reach,
        sum(audience_weight * engagement)
            / nullif(sum(audience_weight) filter (where engagement is not null), 0) as engagement,
        sum(audience_weight * responsiveness)
            / nullif(sum(audience_weight) filter (where responsiveness is not null), 0) as responsiveness
    from account_components
    group by institution_id, month
),

components_long as (
    select institution_id, month, 'activity' as component, activity as score from institution_components
    union all
    select institution_id, month, 'reach', reach from institution_components
    union all
    select institution_id, month, 'engagement', engagement from institution_components
    union all
    select institution_id, month, 'responsiveness', responsiveness from institution_components
),

-- weighted mean over the components available: missing ones are re-normalised away
institution_index as (
    select
        components_long.institution_id,
        components_long.month,
        sum(components_long.score * weights.weight)
            / nullif(sum(weights.weight) filter (where components_long.score is not null), 0) as ikms
    from components_long
    inner join weights on components_long.component = weights.component
    group by components_long.institution_id, components_long.month
),

institution_activity as (
    select
        institution_id,
        month,
        count(*) as accounts,
        sum(followers_last) as followers,
        sum(posts) as posts,
        avg(coverage) as coverage
    from account_features
    group by institution_id, month
),

scored as (
    select
        institution_months.month,
        institution_months.institution_id,
        institution_months.institution_name,
        institution_months.peer_group,
        institution_months.province_code,
        institution_months.province_name,
        round(institution_index.ikms, 2) as ikms,
        round(institution_components.activity, 2) as activity_score,
        round(institution_components.reach, 2) as reach_score,
        round(institution_components.engagement, 2) as engagement_score,
        round(institution_components.responsiveness, 2) as responsiveness_score,
        coalesce(institution_activity.accounts, 0) as accounts,
        coalesce(institution_activity.followers, 0) as followers,
        coalesce(institution_activity.posts, 0) as posts,
        coalesce(institution_activity.coverage, 0) as coverage
    from institution_months
    left join institution_index
        on institution_months.institution_id = institution_index.institution_id
        and institution_months.month = institution_index.month
    left join institution_components
        on institution_months.institution_id = institution_components.institution_id
        and institution_months.month = institution_components.month
    left join institution_activity
        on institution_months.institution_id = institution_activity.institution_id
        and institution_months.month = institution_activity.month
),

final as (
    select
        month,
        institution_id,
        institution_name,
        peer_group,
        province_code,
        province_name,
        ikms,
        -- ties (equal rounded IKMS) share a rank
        case when ikms is not null then
            rank() over (partition by month, peer_group, (ikms is null) order by ikms desc)
        end::int as rank_in_peer_group,
        count(ikms) over (partition by month, peer_group)::int as peer_group_size,
        ikms is not null as is_eligible,
        activity_score,
        reach_score,
        engagement_score,
        responsiveness_score,
        accounts::int as accounts,
        followers::bigint as followers,
        posts::bigint as posts,
        round(coverage, 4) as coverage,
        '{{ var("methodology_version") }}'::text as methodology_version
    from scored
)

select * from final
