{#- A feature's value divided by one unit it is "per" (seed ikms_features, column per), from
    the account-period's columns: posts and comments summed over the period, followers
    averaged over it, the days reported, 1,000 residents of the institution's region. A
    zero denominator is no value, never a division by zero. No unit: the value as it is. -#}
{% macro ikms_per(value, unit) -%}
    case {{ unit }}
        when 'post' then {{ value }} / nullif(posts, 0)
        when 'comment' then {{ value }} / nullif(comments, 0)
        when 'follower' then {{ value }} / nullif(avg_followers, 0)
        when 'day' then {{ value }} / days_reported
        when 'week' then {{ value }} * 7.0 / days_reported
        when '1000_residents' then {{ value }} * 1000.0 / nullif(population, 0)
        else {{ value }}
    end
{%- endmacro %}
