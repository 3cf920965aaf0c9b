"""The one interface every source implements, and the canonical shapes it yields.

A source (the simulator, a platform API connector, the file drop) is asked for one
data day, a trailing window of earlier days to re-pull (platforms restate), and the
registry accounts it should cover. It answers with a `Harvest`:

- account-day records: one dict per (platform, account, metric day) with the keys of
  `CANONICAL_FIELDS` plus `no_value`, a dict naming why each None is None;
- post records: one dict per (platform, account, post, as-of day) with the keys of
  `POST_FIELDS` plus `no_value`; post counts are lifetime totals as of that day;
- problems: what went wrong for one account (a token expired) or for a whole platform
  (quota exhausted), each a sentence that names the account and what to do. A problem
  never stops the other accounts from landing;
- payloads: what the platform answered, as received, for the audit archive, with
  personal data (comment authors and texts) already reduced to counts in memory.

A value is a number or None. None always comes with a reason, and 0 always means zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from kinerja import platforms
from kinerja.sources import KEY_FIELDS, METRIC_FIELDS

POST_KEY_FIELDS = ("platform", "account_id", "post_id", "as_of_date")
# A post carries the account-day interactions as lifetime totals (not the account's
# levels: followers, posts), plus how fast the account answered its comments.
ACCOUNT_LEVELS = ("followers", "posts")
POST_METRIC_FIELDS = tuple(f for f in METRIC_FIELDS if f not in ACCOUNT_LEVELS) + (
    "reply_latency_median_s",  # median seconds from a public comment to the account's first reply
)
POST_FIELDS = POST_KEY_FIELDS + ("published_at", "post_type") + POST_METRIC_FIELDS


class NoValue(StrEnum):
    """Why a metric has no value. Stored next to the record; never replaced by 0."""

    NOT_REPORTED = "not_reported"  # the platform has no such metric (X has no reach)
    BELOW_THRESHOLD = "below_threshold"  # too small for insights (Facebook Pages under 100 likes)
    HIDDEN = "hidden"  # the owner hid it (YouTube hidden subscriber count)
    NOT_GRANTED = "not_granted"  # the owner has not granted the scope (YouTube Analytics)
    NOT_IN_EXPORT = "not_in_export"  # the export file carries no such column
    FETCH_FAILED = "fetch_failed"  # the request for this account failed (see the harvest's problems)
    NOT_YET_AVAILABLE = "not_yet_available"  # the platform has not published the day yet
    # This pull did not observe the value (a follower level is only seen on its own day):
    # landing keeps what an earlier pull of the same source observed, instead of erasing it.
    NOT_OBSERVED = "not_observed"


def metric_day(platform: str, moment: datetime) -> date:
    """The metric day a timestamped event (a post, a comment) belongs to on `platform`.

    The date in the zone of the platform's own daily buckets (kinerja.platforms): Meta and
    YouTube close their day at midnight US Pacific, so a post and its day's totals agree.
    """
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone: platform timestamps must be aware")
    return moment.astimezone(platforms.platform(platform).metric_day_zone).date()


def account_day_record(
    platform: str,
    account_id: str,
    day: date,
    values: Mapping[str, Any],
    missing: Mapping[str, NoValue] | None = None,
) -> dict:
    """A canonical account-day record: every metric the source did not give is None with a reason.

    `missing` names the reason for metrics left out of `values`; any other metric left out
    is `NOT_REPORTED`.
    """
    return _record(
        dict(zip(KEY_FIELDS, (platform, account_id, day), strict=True)), METRIC_FIELDS, values, missing
    )


def post_record(
    platform: str,
    account_id: str,
    post_id: str,
    as_of: date,
    published_at: datetime | None,
    post_type: str | None,
    values: Mapping[str, Any],
    missing: Mapping[str, NoValue] | None = None,
) -> dict:
    """A canonical post record (lifetime totals as of `as_of`), built like `account_day_record`."""
    keys = dict(zip(POST_KEY_FIELDS, (platform, account_id, post_id, as_of), strict=True))
    keys |= {"published_at": published_at, "post_type": post_type}
    return _record(keys, POST_METRIC_FIELDS, values, missing)


def _record(
    keys: dict, metric_fields: Sequence[str], values: Mapping[str, Any], missing: Mapping[str, NoValue] | None
):
    unknown = set(values) - set(metric_fields)
    if unknown:
        raise ValueError(f"not canonical metrics: {sorted(unknown)}; expected some of {list(metric_fields)}")
    missing = dict(missing or {})
    record = dict(keys)
    no_value: dict[str, str] = {}
    for name in metric_fields:
        value = values.get(name)
        record[name] = value
        if value is None:
            no_value[name] = str(missing.get(name, NoValue.NOT_REPORTED))
    record["no_value"] = no_value
    return record


@dataclass(frozen=True)
class SourceProblem:
    """Something that kept a source from delivering for one account, or for a whole platform."""

    source: str
    platform: str
    account_id: str | None  # None: the whole platform (quota exhausted)
    kind: str  # token_missing, token_expired, quota_exhausted, rate_limited, not_found, ...
    message: str  # a sentence naming the account and what to do next
    retry_after: datetime | None = None


@dataclass(frozen=True)
class Payload:
    """One answer of a platform as received (personal data already removed), for the archive."""

    source: str
    platform: str
    request: str  # method and URL path with its query, tokens removed
    received_at: datetime
    body: Any  # the parsed JSON


@dataclass
class Harvest:
    account_days: list[dict] = field(default_factory=list)
    posts: list[dict] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    payloads: list[Payload] = field(default_factory=list)

    def extend(self, other: Harvest) -> None:
        self.account_days += other.account_days
        self.posts += other.posts
        self.problems += other.problems
        self.payloads += other.payloads


class Source(Protocol):
    """What every source offers. `accounts` are registry account dicts (see registry.load)."""

    name: str

    def harvest(self, data_day: date, accounts: Sequence[dict], trailing_days: int = 0) -> Harvest: ...
