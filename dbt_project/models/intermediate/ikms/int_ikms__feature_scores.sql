-- One row per IKMS method, period, account, institution and feature the method uses: the
-- feature's value and its score 0-100 under the method's normalisation, among the covered
-- accounts of the same platform and comparison group (the peer group, or the group the
-- method ranks within; and follower band, where the method says so) in the same period.
-- Never across platforms: engagement differs ~100x between them.
-- Accounts below the method's coverage and features without a value have no row.
with

-- covered accounts' features that have a value (int_ikms__account_features), of the
-- institutions in the method's comparison groups
feature_values as (
    select * from {{ ref('int_ikms__account_features') }}
    where is_covered and value is not null and comparison_group is not null
),

methods as (
    select * from {{ ref('ikms_methods') }}
),

features as (
    select * from {{ ref('ikms_features') }}
),

follower_bands as (
    select * from {{ ref('ikms_follower_bands') }}
),

configured as (
    select
        feature_values.methodology_version,
        feature_values.period_start,
        feature_values.account_id,
        feature_values.institution_id,
        feature_values.peer_group,
        feature_values.comparison_group,
        feature_values.platform,
        feature_values.avg_followers,
        feature_values.account_weight,
        feature_values.feature,
        feature_values.value,
        features.component,
        features.direction,
        methods.normalisation,
        -- engagement rates fall as audiences grow: some methods compare like with like
        case
            when
                features.normalise_within = 'follower_band'
                then coalesce(follower_bands.follower_band, 'tanpa data')
            else 'semua'
        end as comparison_band,
        case
            when features.direction = 'lower_is_better' then -feature_values.value else feature_values.value
        end
            as oriented_value
    from feature_values
    inner join features
        on feature_values.methodology_version = features.methodology_version
        and feature_values.feature = features.feature
    inner join methods on feature_values.methodology_version = methods.methodology_version
    left join follower_bands
        on feature_values.avg_followers >= follower_bands.min_followers
        and (
            follower_bands.below_followers is null
            or feature_values.avg_followers < follower_bands.below_followers
        )
),

with_comparison_group as (
    select
        *,
        cume_dist() over comparison_group as cumulative_share,
        max(value) over comparison_group as group_max,
        min(value) over comparison_group as group_min,
        count(*) over comparison_group as group_size
    from configured
    window comparison_group as (
        partition by
            methodology_version, period_start, platform, comparison_group, feature, comparison_band
        order by oriented_value
        range between unbounded preceding and unbounded following
    )
),

scored as (
    select
        *,
        -- share of the best: negative values score 0; a group where nobody did anything scores 0
        case
            when direction = 'lower_is_better'
                then
                    case when value <= 0 then 100 else 100 * greatest(group_min, 0) / value end
            when group_max > 0 then 100 * greatest(value, 0) / group_max
            else 0
        end as share_of_best
    from with_comparison_group
),

final as (
    select
        methodology_version,
        period_start,
        account_id,
        institution_id,
        peer_group,
        comparison_group,
        platform,
        account_weight,
        component,
        feature,
        comparison_band,
        value,
        group_size,
        (case normalisation
            -- ties share the higher percentile (cume_dist), so equal accounts score equally
            when 'percentile' then 100 * cumulative_share
            when 'share_of_max' then share_of_best
            when 'min_max' then
                case
                    -- no spread: min-max is undefined, everyone scores as a share of the best
                    when group_max = group_min then share_of_best
                    when
                        direction = 'lower_is_better'
                        then 100 * (group_max - value) / (group_max - group_min)
                    else 100 * (value - group_min) / (group_max - group_min)
                end
        end)::float8 as score
    from scored
)

select * from final
