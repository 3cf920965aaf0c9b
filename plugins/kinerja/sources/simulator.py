"""A deterministic simulator of account-day metrics.

The same (account, day) gives the same numbers in any process on any machine: every
random draw is seeded from a sha256 of the account id (its lasting traits) or of the
account id and the day (that day's activity). Shapes follow what real government
accounts look like: heavy-tailed audiences (log-normal), a weekly rhythm (fewer posts
at weekends), days without posts, engagement rates that differ by platform and fall
as the audience grows.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np

SOURCE = "simulator"
EPOCH = date(2022, 1, 1)

# Monday..Sunday: offices post on working days.
WEEKLY_RHYTHM = (1.15, 1.1, 1.1, 1.05, 1.0, 0.55, 0.4)

# Typical share of followers reached per post, and interactions per view, by platform.
PLATFORM_TRAITS = {
    "instagram": {"audience": 1.0, "views_per_follower": 0.25, "interactions_per_view": 0.040, "has_reach": True, "has_saves": True},
    "facebook": {"audience": 1.4, "views_per_follower": 0.10, "interactions_per_view": 0.015, "has_reach": True, "has_saves": False},
    "x": {"audience": 0.6, "views_per_follower": 0.08, "interactions_per_view": 0.008, "has_reach": False, "has_saves": True},
    "youtube": {"audience": 0.3, "views_per_follower": 0.40, "interactions_per_view": 0.030, "has_reach": False, "has_saves": False},
    "tiktok": {"audience": 0.5, "views_per_follower": 0.90, "interactions_per_view": 0.060, "has_reach": True, "has_saves": False},
}


def _rng(*parts: str) -> np.random.Generator:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


@dataclass(frozen=True)
class AccountTraits:
    """What stays the same for an account from day to day."""

    base_followers: float
    daily_growth: float
    posts_per_day: float
    reply_rate: float


def account_traits(account_id: str, platform: str) -> AccountTraits:
    rng = _rng("traits", account_id)
    audience = PLATFORM_TRAITS[platform]["audience"]
    # log-normal: median ~6k followers, a long tail up to millions
    base = float(rng.lognormal(mean=8.7, sigma=1.5)) * audience
    growth = float(rng.uniform(0.0, 0.0015))
    # about one account in ten is nearly dormant
    posts_per_day = float(rng.lognormal(mean=0.0, sigma=0.7)) if rng.random() > 0.1 else 0.05
    reply_rate = float(rng.beta(2, 3))
    return AccountTraits(base, growth, posts_per_day, reply_rate)


def simulate_account_day(account_id: str, platform: str, day: date) -> dict:
    """The metrics of one account on one metric day."""
    traits = account_traits(account_id, platform)
    platform_traits = PLATFORM_TRAITS[platform]
    rng = _rng("day", account_id, day.isoformat())
    age_days = (day - EPOCH).days
    followers = int(traits.base_followers * math.exp(traits.daily_growth * age_days) * rng.uniform(0.998, 1.0))
    posts = int(rng.poisson(traits.posts_per_day * WEEKLY_RHYTHM[day.weekday()]))
    # older posts keep drawing a few views on days without a new post
    view_rate = platform_traits["views_per_follower"] * (posts + 0.1)
    views = int(followers * view_rate * rng.lognormal(0.0, 0.5))
    # engagement rate falls as the audience grows
    size_damping = 1.0 / (1.0 + math.log10(max(followers, 10)) / 4)
    interactions = int(views * platform_traits["interactions_per_view"] * size_damping * rng.lognormal(0.0, 0.4))
    comments = int(interactions * 0.08)
    shares = int(interactions * 0.12)
    likes = interactions - comments - shares
    replies = int(rng.binomial(comments, traits.reply_rate)) if comments else 0
    return {
        "platform": platform,
        "account_id": account_id,
        "metric_date": day,
        "followers": followers,
        "posts": posts,
        "views": views,
        "reach": int(views * rng.uniform(0.55, 0.85)) if platform_traits["has_reach"] else None,
        "likes": likes,
        "comments": comments,
        "shares": shares,
        "saves": int(interactions * 0.05) if platform_traits["has_saves"] else None,
        "angry": int(interactions * 0.002) if platform == "facebook" else None,
        "replies": replies,
        "replies_24h": int(rng.binomial(replies, 0.8)) if replies else 0,
    }


def simulate_day(accounts: Iterable[dict], day: date) -> Iterator[dict]:
    """One record per account active on `day`, in account_id order."""
    for account in sorted(accounts, key=lambda a: a["account_id"]):
        if account["active_from"] <= day and (account.get("active_to") is None or day <= account["active_to"]):
            yield simulate_account_day(account["account_id"], account["platform"], day)
