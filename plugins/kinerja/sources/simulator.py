"""A deterministic simulator of account-day metrics and post snapshots, at national scale.

The same (account, day) gives the same numbers in any process on any machine: every
random draw is seeded from a sha256 of the account id (its lasting traits) or of the
account id and a day (that day's activity, an episode starting that day, a pull made
that day). Shapes follow what real government accounts look like: heavy-tailed
audiences (log-normal), a weekly rhythm (fewer posts at weekends), days without posts,
engagement rates that differ by platform and fall as the audience grows.

Two ways in:

- `simulate_day(accounts, day)`: the final ("true") account-day records of a day, one
  plain dict per account with the keys of `CANONICAL_FIELDS`. The pipeline lands these.
- `SimulatorSource(realities).harvest(data_day, accounts, trailing_days)`: what a platform
  pull made on `data_day` would give, as a `Harvest` of canonical account-day records and
  post records, with the imperfections of `Realities` switched on or off:

  | reality | what happens | seeded by |
  |---|---|---|
  | crisis | a 2–6 day episode: comments surge (on the first day 8–20x a normal posting day and at least 4x the busiest day of the week before, then fading by 40 % a day), anger reactions surge (Facebook), replies collapse (a tenth of the usual rate, slower, fewer within 24 h) | account, start day |
  | silent | the account stops posting for 2–6 weeks; followers are still reported, older posts still draw a few views | account, 91-day period |
  | late | the record of a day is missing from the pull of its own day and arrives 1–2 days later (the trailing window brings it) | account, day |
  | restatement | Facebook, Instagram and YouTube: the first pulls of a day give provisional values (60–90 %, then halfway), final after 1–2 days (Meta lags up to 48 h); the final values are those of `simulate_day` | account, day |
  | missing | YouTube channels that hide their subscriber count (followers None, HIDDEN); Facebook Pages under 100 followers get no insights (views and reach None, BELOW_THRESHOLD); a pull that fails for one account (its day is None, FETCH_FAILED, with a problem; the trailing days and posts of that account are left out of that pull) | account; account, pull day |

Whatever the realities, a pull reports what the platform shows: no reach on X and YouTube,
anger reactions only on Facebook, and follower levels of X, TikTok and YouTube only for the
pull's own day (earlier days of the window carry them as NOT_OBSERVED; landing keeps the
level the day's own pull saw). A late record of those platforms therefore has no level.

Crisis and silence change what happened (they are in `simulate_day(..., realities)` too);
late data, restatements and missing values change only what a pull sees.

Post records: every post published on a day of the pull's window, with its lifetime
totals as of every window day from its publication on. The number of post ids published
on a day equals the account-day `posts` of that day. A post's first-day totals are its
share of the day's views and interactions (the part not drawn by older posts); later
totals grow towards a platform's long tail (YouTube keeps growing for weeks, X for hours).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from kinerja import platforms
from kinerja.registry.history import accounts_on
from kinerja.sources import KEY_FIELDS, METRIC_FIELDS
from kinerja.sources.base import (
    ACCOUNT_LEVELS,
    Harvest,
    NoValue,
    SourceProblem,
    account_day_record,
    metric_day,
    post_record,
)

SOURCE = "simulator"
EPOCH = date(2022, 1, 1)
WIB = ZoneInfo("Asia/Jakarta")

# Monday..Sunday: offices post on working days.
WEEKLY_RHYTHM = (1.15, 1.1, 1.1, 1.05, 1.0, 0.55, 0.4)

# Typical share of followers reached per post, and interactions per view, by platform.
PLATFORM_TRAITS = {
    "instagram": {"audience": 1.0, "views_per_follower": 0.25, "interactions_per_view": 0.040, "has_reach": True, "has_saves": True},
    "facebook": {"audience": 1.4, "views_per_follower": 0.10, "interactions_per_view": 0.015, "has_reach": True, "has_saves": False},
    "x": {"audience": 0.6, "views_per_follower": 0.08, "interactions_per_view": 0.008, "has_reach": False, "has_saves": True},
    "youtube": {"audience": 0.3, "views_per_follower": 0.40, "interactions_per_view": 0.030, "has_reach": False, "has_saves": False},
    "tiktok": {"audience": 0.5, "views_per_follower": 0.90, "interactions_per_view": 0.060, "has_reach": True, "has_saves": False},
}  # fmt: skip

# How a post's lifetime totals grow after its first day: total(k days later) =
# first day x (1 + tail x (1 - exp(-k / tau))). Post types as the platforms name them.
POST_TRAITS = {
    "instagram": {"tail": 0.4, "tau": 1.5, "types": ("image", "carousel", "reel")},
    "facebook": {"tail": 0.3, "tau": 1.0, "types": ("photo", "video", "link", "status")},
    "x": {"tail": 0.15, "tau": 0.5, "types": ("tweet",)},
    "youtube": {"tail": 1.5, "tau": 7.0, "types": ("video", "short")},
    "tiktok": {"tail": 0.8, "tau": 3.0, "types": ("video",)},
}

# Platforms that publish daily values and restate them (Meta up to 48 h, YouTube Analytics).
RESTATING_PLATFORMS = frozenset({"facebook", "instagram", "youtube"})
# Platforms whose follower count is a level seen only "now" (X and TikTok profiles, YouTube's
# subscriberCount): a pull of an earlier day gives it as NOT_OBSERVED, and landing keeps the
# value the day's own pull observed. Meta serves a daily follower series.
LEVEL_NOW_PLATFORMS = frozenset({"x", "tiktok", "youtube"})
# Metrics that are lower in a provisional pull; the levels (followers, posts) are not restated.
RESTATED_METRICS = tuple(metric for metric in METRIC_FIELDS if metric not in ACCOUNT_LEVELS)
# Facebook insights exist only for Pages with 100+ likes (followers stand in for likes here).
FACEBOOK_INSIGHTS_THRESHOLD = 100
FACEBOOK_INSIGHTS = ("views", "reach")

CRISIS_MAX_DAYS = 6
CRISIS_FADE = 0.6  # each day of an episode keeps 60 % of the previous day's surge
SILENT_PERIOD_DAYS = 91


def _rng(*parts: str) -> np.random.Generator:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


def _uniform(*parts: str) -> float:
    """A uniform draw in [0, 1) from a sha256 of `parts`: cheap, for yes/no and small choices."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


@dataclass(frozen=True)
class Realities:
    """The imperfections of real platform data the simulator switches on. All rates are chances.

    crisis_rate: per account and day, that a crisis episode starts.
    silent_rate: per account and 91-day period, that the account goes silent for 2–6 weeks.
    late_rate: per account-day, that its record arrives 1–2 days after its own data day.
    restatement_rate: per account-day on Facebook, Instagram and YouTube, that the first
        pulls are provisional (final after 1–2 days).
    missing_rate: per YouTube channel, that it hides its subscriber count; per account and
        pull, a fifth of it, that the pull fails. Any rate above 0 also withholds the
        insights of Facebook Pages under 100 followers (the platform's own rule).
    """

    crisis_rate: float = 0.0
    silent_rate: float = 0.0
    late_rate: float = 0.0
    restatement_rate: float = 0.0
    missing_rate: float = 0.0

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Realities.{name} is a chance between 0 and 1, got {value!r}")

    @classmethod
    def none(cls) -> Realities:
        """Perfect data: every pull gives the final values, nothing unusual happens."""
        return cls()

    @classmethod
    def national(cls) -> Realities:
        """What a national day looks like: about 6 new crises a day among 3,300 accounts, a few
        silent accounts, 3 % of records late, a third of Meta/YouTube days restated, some
        hidden or withheld values and failed pulls."""
        return cls(
            crisis_rate=0.002, silent_rate=0.05, late_rate=0.03, restatement_rate=0.3, missing_rate=0.03
        )


NO_REALITIES = Realities.none()


@dataclass(frozen=True)
class AccountTraits:
    """What stays the same for an account from day to day."""

    base_followers: float
    daily_growth: float
    posts_per_day: float
    reply_rate: float
    reply_latency_s: float  # median seconds to the first reply to a public comment


@lru_cache(maxsize=65536)
def account_traits(account_id: str, platform: str) -> AccountTraits:
    rng = _rng("traits", account_id)
    audience = PLATFORM_TRAITS[platform]["audience"]
    # log-normal: median ~6k followers, a long tail up to millions
    base = float(rng.lognormal(mean=8.7, sigma=1.5)) * audience
    growth = float(rng.uniform(0.0, 0.0015))
    # about one account in ten is nearly dormant
    posts_per_day = float(rng.lognormal(mean=0.0, sigma=0.7)) if rng.random() > 0.1 else 0.05
    reply_rate = float(rng.beta(2, 3))
    # median first reply after about 3 hours, from minutes to days
    latency = float(rng.lognormal(mean=math.log(3 * 3600), sigma=1.0))
    return AccountTraits(base, growth, posts_per_day, reply_rate, latency)


# --- realities: each a pure function of account, day and rate ----------------------------


@dataclass(frozen=True)
class Crisis:
    start: date
    length: int  # days
    day_index: int  # 0 on the start day
    intensity: float  # the surge of comments, in normal posting days' worth of comments
    anger_per_comment: float  # anger reactions per surging comment (Facebook)


def crisis_on(account_id: str, day: date, realities: Realities = NO_REALITIES) -> Crisis | None:
    """The crisis episode the account is in on `day`, if any (the latest started wins)."""
    if realities.crisis_rate <= 0.0:
        return None
    for back in range(CRISIS_MAX_DAYS):
        start = (day - timedelta(days=back)).isoformat()
        if _uniform("crisis", account_id, start) >= realities.crisis_rate:
            continue
        length = 2 + int(_uniform("crisis-length", account_id, start) * (CRISIS_MAX_DAYS - 1))
        if back < length:
            peak = 8.0 + 12.0 * _uniform("crisis-peak", account_id, start)
            anger = 1.5 + 2.5 * _uniform("crisis-anger", account_id, start)
            return Crisis(day - timedelta(days=back), length, back, peak * CRISIS_FADE**back, anger)
    return None


def silent_on(account_id: str, day: date, realities: Realities = NO_REALITIES) -> bool:
    """True while the account is in a silent spell (no posts for 14–42 days)."""
    if realities.silent_rate <= 0.0:
        return False
    period = (day - EPOCH).days // SILENT_PERIOD_DAYS
    for p in (period, period - 1):  # a spell may run on from the previous period
        if _uniform("silent", account_id, str(p)) >= realities.silent_rate:
            continue
        start = EPOCH + timedelta(
            days=p * SILENT_PERIOD_DAYS + int(_uniform("silent-start", account_id, str(p)) * 91)
        )
        length = 14 + int(_uniform("silent-length", account_id, str(p)) * 29)
        if start <= day < start + timedelta(days=length):
            return True
    return False


def arrival_lag(account_id: str, day: date, realities: Realities = NO_REALITIES) -> int:
    """Days after its own data day that the account-day record first appears in a pull (0: on time)."""
    if realities.late_rate <= 0.0 or _uniform("late", account_id, day.isoformat()) >= realities.late_rate:
        return 0
    return 1 + int(_uniform("late-lag", account_id, day.isoformat()) * 2)


def restatement(
    account_id: str, platform: str, day: date, pulled_on: date, realities: Realities = NO_REALITIES
) -> float:
    """The share of its final value that a pull on `pulled_on` gives for `day` (1.0: final)."""
    if platform not in RESTATING_PLATFORMS or realities.restatement_rate <= 0.0:
        return 1.0
    key = (account_id, day.isoformat())
    if _uniform("restate", *key) >= realities.restatement_rate:
        return 1.0
    settles_after = 1 + int(_uniform("restate-lag", *key) * 2)  # 1 or 2 days
    age = (pulled_on - day).days
    if age >= settles_after:
        return 1.0
    first = 0.6 + 0.3 * _uniform("restate-share", *key)
    return first if age <= 0 else (1.0 + first) / 2.0


def hides_subscribers(account_id: str, platform: str, realities: Realities = NO_REALITIES) -> bool:
    return platform == "youtube" and _uniform("hidden", account_id) < realities.missing_rate


def pull_fails(account_id: str, pulled_on: date, realities: Realities = NO_REALITIES) -> bool:
    return _uniform("fetch", account_id, pulled_on.isoformat()) < realities.missing_rate / 5.0


# --- what happened ------------------------------------------------------------------------


def _day_values(account_id: str, platform: str, day: date, realities: Realities) -> dict:
    """The final metrics of one account on one metric day (every platform's, before reporting rules)."""
    traits = account_traits(account_id, platform)
    platform_traits = PLATFORM_TRAITS[platform]
    rng = _rng("day", account_id, day.isoformat())
    age_days = (day - EPOCH).days
    followers = int(
        traits.base_followers * math.exp(traits.daily_growth * age_days) * rng.uniform(0.998, 1.0)
    )
    posts = int(rng.poisson(traits.posts_per_day * WEEKLY_RHYTHM[day.weekday()]))
    if silent_on(account_id, day, realities):
        posts = 0
    # older posts keep drawing a few views on days without a new post
    view_rate = platform_traits["views_per_follower"] * (posts + 0.1)
    views = int(followers * view_rate * rng.lognormal(0.0, 0.5))
    # engagement rate falls as the audience grows
    size_damping = 1.0 / (1.0 + math.log10(max(followers, 10)) / 4)
    interactions = int(
        views * platform_traits["interactions_per_view"] * size_damping * rng.lognormal(0.0, 0.4)
    )
    comments = int(interactions * 0.08)
    shares = int(interactions * 0.12)
    likes = interactions - comments - shares
    angry = int(interactions * 0.002)
    reply_rate, within_24h = traits.reply_rate, 0.8
    crisis = crisis_on(account_id, day, realities)
    if crisis is not None:
        # The surge is measured against a normal day with at least one post and against the
        # busiest day of the week before the episode, so that every crisis stands out of
        # its account's own weekly noise (a 7-day mean + 2 sd never exceeds 1.7 x the
        # week's maximum; the surge is at least 4 x it).
        normal_day = (
            followers
            * platform_traits["views_per_follower"]
            * (max(traits.posts_per_day, 1.0) + 0.1)
            * platform_traits["interactions_per_view"]
            * size_damping
            * 0.08
        )
        calm = replace(realities, crisis_rate=0.0)
        week_before = (crisis.start - timedelta(days=back) for back in range(1, 8))
        busiest = max(_day_values(account_id, platform, d, calm)["comments"] for d in week_before)
        surge = int(crisis.intensity * max(normal_day, busiest / 2.0, 5.0))
        comments += surge
        angry += int(surge * crisis.anger_per_comment)
        reply_rate, within_24h = reply_rate * 0.1, 0.3
    replies = int(rng.binomial(comments, reply_rate)) if comments else 0
    return {
        "followers": followers,
        "posts": posts,
        "views": views,
        "reach": int(views * rng.uniform(0.55, 0.85)) if platform_traits["has_reach"] else None,
        "likes": likes,
        "comments": comments,
        "shares": shares,
        "saves": int(interactions * 0.05) if platform_traits["has_saves"] else None,
        "angry": angry if platform == "facebook" else None,
        "replies": replies,
        "replies_24h": int(rng.binomial(replies, within_24h)) if replies else 0,
    }


def simulate_account_day(
    account_id: str, platform: str, day: date, realities: Realities = NO_REALITIES
) -> dict:
    """The final metrics of one account on one metric day, keyed like `CANONICAL_FIELDS`.

    Only metrics in `METRIC_FIELDS` are given (`angry` once the warehouse has it).
    """
    values = _day_values(account_id, platform, day, realities)
    return dict(zip(KEY_FIELDS, (platform, account_id, day), strict=True)) | {
        name: values.get(name) for name in METRIC_FIELDS
    }


def simulate_day(accounts: Iterable[dict], day: date, realities: Realities = NO_REALITIES) -> Iterator[dict]:
    """One record per account of the registry on `day` (`accounts_on`), in account_id order."""
    for account in accounts_on(accounts, day):
        yield simulate_account_day(account["account_id"], account["platform"], day, realities)


# --- posts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Post:
    post_id: str
    published_at: datetime
    post_type: str
    first_day: dict  # metric -> float: the post's totals at the end of its first day
    reply_share: float  # replies per comment
    within_24h: float  # replies within 24 h per reply
    latency_s: int


def _published_at(platform: str, day: date, wib_seconds: int) -> datetime:
    """A moment at `wib_seconds` after WIB midnight that belongs to metric day `day` on `platform`."""
    for wib_day in (day, day + timedelta(days=1), day - timedelta(days=1)):
        moment = datetime.combine(wib_day, time(), WIB) + timedelta(seconds=wib_seconds)
        if metric_day(platform, moment) == day:
            return moment
    # a short (daylight saving) day that misses the hour: noon of the platform's day
    return datetime.combine(day, time(12), platforms.platform(platform).metric_day_zone)


def _posts_of_day(account_id: str, platform: str, day: date, values: dict, latency_s: float) -> list[_Post]:
    """The posts published on `day`; as many as the day's `posts`."""
    count = values["posts"]
    if not count:
        return []
    rng = _rng("posts", account_id, day.isoformat())
    weights = rng.dirichlet(np.ones(count)) if count > 1 else np.ones(1)
    # office hours, 06:00–22:00 WIB, in publication order
    seconds = np.sort(rng.integers(6 * 3600, 22 * 3600, size=count))
    types = POST_TRAITS[platform]["types"]
    kinds = rng.integers(0, len(types), size=count)
    noise = rng.lognormal(0.0, 0.3, size=count)
    new_share = count / (count + 0.1)  # the rest of the day's activity is on older posts
    comments = values["comments"]
    reply_share = values["replies"] / comments if comments else 0.0
    within_24h = values["replies_24h"] / values["replies"] if values["replies"] else 0.8
    posts = []
    for i in range(count):
        share = new_share * float(weights[i])
        first_day = {
            name: values[name] * share
            for name in ("views", "reach", "likes", "comments", "shares", "saves", "angry")
            if values.get(name) is not None
        }
        posts.append(
            _Post(
                post_id=f"{account_id}_{day:%Y%m%d}_{i + 1}",
                published_at=_published_at(platform, day, int(seconds[i])),
                post_type=types[int(kinds[i])],
                first_day=first_day,
                reply_share=reply_share,
                within_24h=within_24h,
                latency_s=max(30, int(latency_s * float(noise[i]))),
            )
        )
    return posts


def _post_snapshot(platform: str, account_id: str, post: _Post, as_of: date, missing: dict) -> dict:
    """Lifetime totals of `post` as of the end of `as_of`."""
    traits = POST_TRAITS[platform]
    age = (as_of - post.published_at.astimezone(platforms.platform(platform).metric_day_zone).date()).days
    growth = 1.0 + traits["tail"] * (1.0 - math.exp(-age / traits["tau"]))
    values = {name: int(first * growth) for name, first in post.first_day.items()}
    replies = int(values["comments"] * post.reply_share)
    values |= {"replies": replies, "replies_24h": int(replies * post.within_24h)}
    if replies:
        values["reply_latency_median_s"] = post.latency_s
    for name in missing:
        values.pop(name, None)
    return post_record(
        platform, account_id, post.post_id, as_of, post.published_at, post.post_type, values, missing
    )


# --- what a pull sees ----------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatorSource:
    """The simulator as a `Source`: a pull on `data_day` with a trailing window, under `realities`."""

    realities: Realities = field(default_factory=Realities.none)
    with_posts: bool = True
    name: str = SOURCE

    def harvest(self, data_day: date, accounts: Sequence[dict], trailing_days: int = 0) -> Harvest:
        """Account days of `data_day` and the `trailing_days` before it, and their posts.

        Records come day by day (oldest first), accounts in account_id order; each window
        day covers the registry accounts of that day (`accounts_on`).
        """
        if trailing_days < 0:
            raise ValueError(f"trailing_days must be 0 or more, got {trailing_days}")
        rows = list(accounts)
        realities = self.realities
        window = [data_day - timedelta(days=back) for back in range(trailing_days, -1, -1)]
        harvest = Harvest()
        failed: set[str] = set()
        # account -> platform, and the window days it is in the registry
        active: dict[str, tuple[str, set[date]]] = {}
        values: dict[tuple[str, date], dict] = {}
        for day in window:
            for account in accounts_on(rows, day):
                account_id, platform = account["account_id"], account["platform"]
                active.setdefault(account_id, (platform, set()))[1].add(day)
                if account_id not in failed and pull_fails(account_id, data_day, realities):
                    failed.add(account_id)
                    harvest.problems.append(_fetch_problem(account_id, platform, data_day))
                if account_id in failed:
                    if day == data_day:
                        harvest.account_days.append(_failed_record(platform, account_id, day))
                    continue
                values[account_id, day] = day_values = _day_values(account_id, platform, day, realities)
                if day + timedelta(days=arrival_lag(account_id, day, realities)) > data_day:
                    continue  # late: not in this pull yet
                harvest.account_days.append(
                    _account_day(account_id, platform, day, data_day, day_values, realities)
                )
        if self.with_posts:
            harvest.posts = self._posts(window, active, values, failed)
        return harvest

    def _posts(self, window: list[date], active: dict, values: dict, failed: set[str]) -> list[dict]:
        published: dict[tuple[str, date], list[_Post]] = {}
        records = []
        for as_of in window:
            for account_id in sorted(active):
                platform, days = active[account_id]
                if account_id in failed or as_of not in days:
                    continue
                followers = values[account_id, as_of]["followers"]
                missing = _post_missing(platform, followers, self.realities)
                for day in window:
                    if day > as_of:
                        break
                    if day not in days:
                        continue
                    key = (account_id, day)
                    if key not in published:
                        latency = account_traits(account_id, platform).reply_latency_s
                        crisis = crisis_on(account_id, day, self.realities)
                        published[key] = _posts_of_day(
                            account_id, platform, day, values[key], latency * (5.0 if crisis else 1.0)
                        )
                    records += (
                        _post_snapshot(platform, account_id, post, as_of, missing) for post in published[key]
                    )
        return records


def _account_day(
    account_id: str, platform: str, day: date, pulled_on: date, day_values: dict, realities: Realities
) -> dict:
    values = {
        name: value for name, value in day_values.items() if name in METRIC_FIELDS and value is not None
    }
    share = restatement(account_id, platform, day, pulled_on, realities)
    if share < 1.0:
        values |= {name: int(values[name] * share) for name in RESTATED_METRICS if name in values}
    missing: dict[str, NoValue] = {}
    if hides_subscribers(account_id, platform, realities):
        values.pop("followers", None)
        missing["followers"] = NoValue.HIDDEN
    if platform in LEVEL_NOW_PLATFORMS and day < pulled_on and "followers" not in missing:
        # a level the platform shows only "now": a re-pull cannot see what it was that day
        values.pop("followers", None)
        missing["followers"] = NoValue.NOT_OBSERVED
    if _below_threshold(platform, day_values["followers"], realities):
        for name in FACEBOOK_INSIGHTS:
            values.pop(name, None)
            missing[name] = NoValue.BELOW_THRESHOLD
    return account_day_record(platform, account_id, day, values, missing)


def _below_threshold(platform: str, followers: int, realities: Realities) -> bool:
    return realities.missing_rate > 0.0 and platform == "facebook" and followers < FACEBOOK_INSIGHTS_THRESHOLD


def _post_missing(platform: str, followers: int, realities: Realities) -> dict[str, NoValue]:
    """Reasons for the post metrics a platform withholds from an account's posts, by its followers that day."""
    if _below_threshold(platform, followers, realities):
        return {name: NoValue.BELOW_THRESHOLD for name in FACEBOOK_INSIGHTS}
    return {}


def _failed_record(platform: str, account_id: str, day: date) -> dict:
    return account_day_record(
        platform, account_id, day, {}, {name: NoValue.FETCH_FAILED for name in METRIC_FIELDS}
    )


def _fetch_problem(account_id: str, platform: str, pulled_on: date) -> SourceProblem:
    return SourceProblem(
        source=SOURCE,
        platform=platform,
        account_id=account_id,
        kind="fetch_failed",
        message=(
            f"The {platform} pull of {pulled_on.isoformat()} failed for account {account_id} (simulated): "
            "its values of that day are missing; the next day's trailing window pulls them again."
        ),
    )
