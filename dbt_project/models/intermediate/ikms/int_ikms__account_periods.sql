-- One row per IKMS method, period, account and institution holding it: what the account
-- did in the period (the method's day, week or month), its coverage and its weight. The
-- features a method scores are computed from its definitions in int_ikms__account_features.
with

daily as (
    select * from {{ ref('int_account_days_by_institution') }}
),

institutions as (
    select * from {{ ref('dim_institutions') }}
),

comparison_groups as (
    select * from {{ ref('stg_registry__comparison_groups') }}
),

regions as (
    select
        institution_id,
        population
    from {{ ref('dim_regions') }}
    where institution_id is not null
),

methods as (
    select * from {{ ref('ikms_methods') }}
    where methodology_version in ({{ ikms_methods_in_use() }})
),

days_by_period as (
    select
        methods.methodology_version,
        methods.period,
        -- var min_coverage overrides the method's, for what-if runs and small test data
        {{ var('min_coverage', 'methods.min_coverage') }}::numeric as min_coverage,
        methods.account_weighting,
        methods.rank_within,
        date_trunc(methods.period, daily.metric_date)::date as period_start,
        daily.*
    from daily
    cross join methods
),

account_periods as (
    select
        methodology_version,
        period,
        period_start,
        (period_start + ('1 ' || period)::interval)::date - 1 as period_end,
        account_id,
        institution_id,
        platform,
        min(min_coverage) as min_coverage,
        min(account_weighting) as account_weighting,
        min(rank_within) as rank_within,
        count(*) as days_reported,
        sum(posts) as posts,
        avg(followers) as avg_followers,
        sum(views) as views,
        sum(interactions) as interactions,
        sum(comments) as comments,
        sum(replies) as replies,
        sum(replies_24h) as replies_24h,
        (array_agg(followers order by metric_date desc) filter (where followers is not null))[1]
            as followers_last
    from days_by_period
    group by methodology_version, period, period_start, account_id, institution_id, platform
),

-- the institution's version valid at the end of the period (or when it ended)
institution_versions as (
    select distinct on (
        account_periods.methodology_version, account_periods.period_start,
        account_periods.account_id, account_periods.institution_id)
        account_periods.methodology_version,
        account_periods.period_start,
        account_periods.account_id,
        account_periods.institution_id,
        institutions.peer_group
    from account_periods
    inner join institutions
        on account_periods.institution_id = institutions.institution_id
        and account_periods.period_end >= institutions.valid_from
        and (institutions.valid_to is null or account_periods.period_start <= institutions.valid_to)
    order by
        account_periods.methodology_version asc, account_periods.period_start asc,
        account_periods.account_id asc, account_periods.institution_id asc, institutions.valid_from desc
),

final as (
    select
        account_periods.methodology_version,
        account_periods.period,
        account_periods.period_start,
        account_periods.period_end,
        account_periods.account_id,
        account_periods.institution_id,
        institution_versions.peer_group,
        -- whom the account is compared and ranked with: its peer group, or the method's
        -- comparison group while the institution is a member at the period's end (else none)
        case
            when account_periods.rank_within = 'peer_group' then institution_versions.peer_group
            else memberships.group_id
        end as comparison_group,
        account_periods.platform,
        account_periods.days_reported,
        -- coverage is judged against the whole period, not the days that happened to report
        account_periods.days_reported::numeric
        / (account_periods.period_end - account_periods.period_start + 1) as coverage,
        account_periods.days_reported::numeric
        / (account_periods.period_end - account_periods.period_start + 1)
        >= account_periods.min_coverage as is_covered,
        -- how much the account counts in its institution's score
        case account_periods.account_weighting
            when 'followers' then greatest(coalesce(account_periods.avg_followers, 0), 1)
            else 1
        end as account_weight,
        account_periods.posts,
        account_periods.views,
        account_periods.interactions,
        account_periods.comments,
        account_periods.replies,
        account_periods.replies_24h,
        account_periods.avg_followers,
        account_periods.followers_last,
        regions.population
    from account_periods
    inner join institution_versions
        on account_periods.methodology_version = institution_versions.methodology_version
        and account_periods.period_start = institution_versions.period_start
        and account_periods.account_id = institution_versions.account_id
        and account_periods.institution_id = institution_versions.institution_id
    left join regions on account_periods.institution_id = regions.institution_id
    left join comparison_groups as memberships
        on account_periods.rank_within = memberships.group_id
        and account_periods.institution_id = memberships.institution_id
        and account_periods.period_end >= memberships.valid_from
        and (memberships.valid_to is null or account_periods.period_end <= memberships.valid_to)
)

select * from final
