"""What every API connector shares: the days of a harvest, problems, the per-account loop.

Metric days (see kinerja.platforms):
- a daily value the platform labels with its own day (Meta `end_time`, YouTube Analytics
  `day`) belongs to that day; Meta's `end_time` is the END of the day (midnight US Pacific,
  https://developers.facebook.com/docs/instagram-api/reference/user/insights/ : "periods
  ending on UTC-07:00"), so its day is the one that ends there;
- a timestamp we bucket ourselves (a post, a comment) goes through `metric_day`;
- a level the platform reports only as "now" (followers, subscribers) is the closing level
  of `data_day` when observed during `data_day` or the metric day after it (the daily run
  starts after the day closes); observed later (a backfill), it is not that day's level and
  stays None: the platform keeps no history of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta

from kinerja import platforms
from kinerja.sources.api.client import ApiClient, ApiError, QuotaExhausted, TokenRejected
from kinerja.sources.api.tokens import Token, find_token
from kinerja.sources.base import Harvest, SourceProblem, metric_day

log = logging.getLogger(__name__)

SOURCE = "api"
PLATFORM_TITLES = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "x": "X",
    "youtube": "YouTube",
    "tiktok": "TikTok",
}


def window_days(data_day: date, trailing_days: int) -> list[date]:
    """data_day and the `trailing_days` days before it, oldest first."""
    return [data_day - timedelta(days=back) for back in range(trailing_days, -1, -1)]


def day_start(platform: str, day: date) -> datetime:
    """The first moment of `day` in the platform's day zone."""
    return datetime.combine(day, time(0), tzinfo=platforms.platform(platform).metric_day_zone)


def day_of_end_time(platform: str, end_time: datetime) -> date:
    """The day a daily value belongs to when the platform stamps it with the day's end."""
    return metric_day(platform, end_time - timedelta(microseconds=1))


def level_is_of_day(platform: str, data_day: date, observed_at: datetime) -> bool:
    """Whether a "now" level observed at `observed_at` is data_day's closing level."""
    return (metric_day(platform, observed_at) - data_day).days in (0, 1)


def parse_time(text: str) -> datetime:
    """Platform timestamps: ISO 8601 with Z, +00:00 or +0000."""
    return datetime.fromisoformat(text)


def title(platform: str) -> str:
    return PLATFORM_TITLES.get(platform, platform)


def account_problem(platform: str, account: dict, kind: str, what: str, retry_after=None) -> SourceProblem:
    """A problem of one account: names the account (id and handle) and what to do."""
    name = f"{title(platform)} account {account['account_id']} (@{account.get('handle') or '?'})"
    return SourceProblem(SOURCE, platform, account["account_id"], kind, f"{name}: {what}", retry_after)


def token_missing(platform: str, account: dict, token: Token) -> SourceProblem:
    return account_problem(platform, account, "token_missing", f"no access token; {token.fix_hint}.")


def problem_of_error(platform: str, account: dict, error: ApiError, token: Token) -> SourceProblem:
    """The sentence for a failed request: for a rejected token, where to put a new one."""
    if error.kind == "token_expired":
        what = f"the access token was rejected (expired or revoked): {token.fix_hint}."
    elif isinstance(error, TokenRejected):
        what = f"{error.message}: {token.fix_hint}."
    elif error.kind == "rate_limited":
        what = f"still rate limited after retrying ({error.message}); the next run will try again."
    else:
        what = f"{error.message}."
    return account_problem(platform, account, error.kind, what, error.retry_after)


class ApiSource:
    """Base of the connectors: picks its platform's accounts, finds tokens, isolates failures.

    Subclasses implement `harvest_account` (one account) or override `harvest` (batched
    platforms). A failure of one account becomes a problem and the others still land; a
    `QuotaExhausted` stops the platform's harvest with one platform-level problem.
    """

    name = SOURCE
    platform = ""

    def __init__(self, client: ApiClient, *, environ=None, connection_lookup=None):
        self.client = client
        self.environ = environ
        self.connection_lookup = connection_lookup

    @property
    def now(self) -> Callable[[], datetime]:
        return self.client.clock

    def token_for(self, account: dict) -> Token:
        return find_token(self.platform, account["account_id"], self.environ, self.connection_lookup)

    def my_accounts(self, accounts: Iterable[dict]) -> list[dict]:
        return [account for account in accounts if account["platform"] == self.platform]

    def harvest(self, data_day: date, accounts: Sequence[dict], trailing_days: int = 0) -> Harvest:
        harvest = Harvest()
        days = window_days(data_day, trailing_days)
        for account in self.my_accounts(accounts):
            token = self.token_for(account)
            if token.value is None:
                harvest.problems.append(token_missing(self.platform, account, token))
                continue
            try:
                harvest.extend(self.harvest_account(account, token.value, days))
            except QuotaExhausted as error:
                harvest.problems.append(self.quota_problem(error))
                break
            except ApiError as error:
                harvest.problems.append(problem_of_error(self.platform, account, error, token))
        return harvest

    def harvest_account(self, account: dict, token: str, days: list[date]) -> Harvest:
        raise NotImplementedError

    def quota_problem(self, error: QuotaExhausted) -> SourceProblem:
        message = (
            f"{title(self.platform)}: the project's API quota is exhausted ({error.message}); the harvest "
            f"stopped and the remaining accounts wait for the quota reset at {error.retry_after:%Y-%m-%d %H:%M %Z}."
        )
        return SourceProblem(SOURCE, self.platform, None, error.kind, message, error.retry_after)
