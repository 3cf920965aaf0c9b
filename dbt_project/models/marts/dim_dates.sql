-- One row per calendar day: the calendar facts and Indonesia's national holidays and
-- cuti bersama, from the seed indonesia_holidays (see seeds/PROVENANCE.md).
with

holidays as (
    select * from {{ ref('indonesia_holidays') }}
),

-- the days the warehouse holds (every landed row, accepted or not, and every batch's data day),
-- the holiday calendar's and today
known_days as (
    select
        min(metric_date) as first_day,
        max(metric_date) as last_day
    from {{ source('raw', 'account_daily') }}
    union all
    select
        min(as_of_date) as first_day,
        max(as_of_date) as last_day
    from {{ source('raw', 'post_daily') }}
    union all
    select
        min(data_day) as first_day,
        max(data_day) as last_day
    from {{ source('raw', 'batch_ledger') }}
    union all
    select
        min(date) as first_day,
        max(date) as last_day
    from holidays
    union all
    select
        current_date as first_day,
        current_date as last_day
),

-- whole years, from the first year of any data to the year after the latest (or today's):
-- the monthly run rebuilds the calendar, so a new year's days exist before its first daily
-- publish needs them
calendar_bounds as (
    select
        date_trunc('year', min(first_day))::date as first_day,
        (date_trunc('year', max(last_day)) + interval '2 years' - interval '1 day')::date as last_day
    from known_days
),

days as (
    select day::date as date_day
    from calendar_bounds
    cross join lateral generate_series(first_day, last_day, interval '1 day') as day
),

-- a source row may name several things on one day ("Hari Kartini | Cuti Bersama Idul Fitri"),
-- with one description per name in the same order
holiday_parts as (
    select
        holidays.date as date_day,
        holidays.is_holiday as source_is_holiday,
        trim(parts.part_name) as part_name,
        trim(parts.part_kind) as part_kind
    from holidays
    cross join lateral unnest(
        string_to_array(holidays.summary, ' | '), string_to_array(holidays.description, ' | ')
    ) as parts (part_name, part_kind)
),

-- the source says what each name is: "Hari libur nasional" is a day off, "Perayaan" is not
flagged_parts as (
    select
        date_day,
        part_name,
        case
            when part_kind = 'Hari libur nasional' and part_name ilike 'cuti bersama%' then 'cuti_bersama'
            when part_kind = 'Hari libur nasional' then 'holiday'
            else 'observance'
        end as part_class
    from holiday_parts
    where source_is_holiday is not null
),

-- the 2022 rows carry no flag: a name takes the class it has in the first flagged year that
-- has it; "Cuti Bersama ..." is cuti bersama; a name never flagged counts as an observance
unflagged_parts as (
    select
        holiday_parts.date_day,
        holiday_parts.part_name,
        case
            when holiday_parts.part_name ilike 'cuti bersama%' then 'cuti_bersama'
            else coalesce(same_name.part_class, 'observance')
        end as part_class
    from holiday_parts
    left join lateral (
        select flagged_parts.part_class
        from flagged_parts
        where
            flagged_parts.part_name = holiday_parts.part_name
            and flagged_parts.date_day > holiday_parts.date_day
        order by flagged_parts.date_day
        limit 1
    ) as same_name on true
    where holiday_parts.source_is_holiday is null
),

classified_parts as (
    select
        date_day,
        part_name,
        part_class,
        false as is_inferred
    from flagged_parts
    union all
    select
        date_day,
        part_name,
        part_class,
        true as is_inferred
    from unflagged_parts
),

holiday_days as (
    select
        classified_parts.date_day,
        bool_or(classified_parts.part_class = 'holiday') as is_holiday,
        bool_or(classified_parts.part_class = 'cuti_bersama') as is_cuti_bersama,
        string_agg(classified_parts.part_name, ' | ') filter (
            where classified_parts.part_class in ('holiday', 'cuti_bersama')
        ) as holiday_name,
        string_agg(classified_parts.part_name, ' | ') filter (
            where classified_parts.part_class = 'observance'
        ) as observance_name,
        -- the source marks dates not yet fixed by the government (moon sighting) "(belum pasti)"
        bool_or(classified_parts.part_name ilike '%(belum pasti)%') as is_date_tentative,
        bool_or(classified_parts.is_inferred) as is_holiday_inferred
    from classified_parts
    group by classified_parts.date_day
),

-- holidays are known only for the years the seed covers
calendar_years as (
    select distinct extract(year from date)::int as year from holidays
),

final as (
    select
        days.date_day,
        extract(year from days.date_day)::int as year,
        extract(quarter from days.date_day)::int as quarter,
        date_trunc('month', days.date_day)::date as month,
        extract(month from days.date_day)::int as month_number,
        (array[
            'Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni',
            'Juli', 'Agustus', 'September', 'Oktober', 'November', 'Desember'
        ])[extract(month from days.date_day)::int] as month_name_id,
        (array[
            'January', 'February', 'March', 'April', 'May', 'June',
            'July', 'August', 'September', 'October', 'November', 'December'
        ])[extract(month from days.date_day)::int] as month_name_en,
        extract(isoyear from days.date_day)::int as iso_year,
        extract(week from days.date_day)::int as iso_week,
        date_trunc('week', days.date_day)::date as iso_week_start,
        extract(day from days.date_day)::int as day_of_month,
        extract(doy from days.date_day)::int as day_of_year,
        -- ISO: 1 = Monday ... 7 = Sunday
        extract(isodow from days.date_day)::int as iso_day_of_week,
        (array['Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu', 'Minggu'])[
            extract(isodow from days.date_day)::int
        ] as day_name_id,
        (array['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'])[
            extract(isodow from days.date_day)::int
        ] as day_name_en,
        extract(isodow from days.date_day) in (6, 7) as is_weekend,
        calendar_years.year is not null as has_holiday_calendar,
        -- unknown (null), not false, in years the holiday seed does not cover
        case when calendar_years.year is not null then coalesce(holiday_days.is_holiday, false) end
            as is_holiday,
        case
            when calendar_years.year is not null then coalesce(holiday_days.is_cuti_bersama, false)
        end as is_cuti_bersama,
        holiday_days.holiday_name,
        holiday_days.observance_name,
        coalesce(holiday_days.is_date_tentative, false) as is_date_tentative,
        coalesce(holiday_days.is_holiday_inferred, false) as is_holiday_inferred,
        case
            when calendar_years.year is not null then
                extract(isodow from days.date_day) not in (6, 7)
                and not coalesce(holiday_days.is_holiday, false)
                and not coalesce(holiday_days.is_cuti_bersama, false)
        end as is_working_day
    from days
    left join holiday_days on days.date_day = holiday_days.date_day
    left join calendar_years on extract(year from days.date_day)::int = calendar_years.year
)

select * from final
