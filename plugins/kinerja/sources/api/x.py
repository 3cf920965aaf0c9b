"""X (Twitter) accounts through the X API v2.

Documentation (stored copies checked):
- User lookup, up to 100 ids a call: https://docs.x.com/x-api/users/lookup and
  https://docs.x.com/x-api/users/lookup/quickstart/user-lookup (`GET /2/users?ids=`,
  `user.fields=public_metrics`)
- User Posts timeline: https://developer.x.com/en/docs/x-api/tweets/timelines and
  https://docs.x.com/x-api/posts/timelines/migrate/overview (`GET /2/users/:id/tweets`,
  `start_time`/`end_time`, `exclude`, `pagination_token` from `meta.next_token`)
- Rate limits: https://docs.x.com/fundamentals/rate-limits (15-minute windows;
  `x-rate-limit-reset` is a Unix time; 429 Too Many Requests). User lookup: 300 requests
  per 15 minutes (METHODOLOGY.md), enforced here before X has to refuse.

X gives only current levels (followers now) and lifetime post totals: no daily series.
So a harvest yields the data day's record (followers when observed fresh, posts of the
day) and the window's posts as of today; the trailing window re-pulls the posts.
The timeline is archived reduced to ids, times and counts: the account's replies and
mentions name citizens.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

from kinerja.sources.api.client import (
    Answer,
    ApiClient,
    ApiError,
    NotGranted,
    RequestBudget,
    Throttled,
    TokenRejected,
)
from kinerja.sources.api.common import (
    SOURCE,
    ApiSource,
    account_problem,
    day_start,
    level_is_of_day,
    parse_time,
    problem_of_error,
    token_missing,
    window_days,
)
from kinerja.sources.api.tokens import Token
from kinerja.sources.base import Harvest, NoValue, Payload, account_day_record, metric_day, post_record

X_URL = "https://api.x.com"
LOOKUP_BATCH = 100
LOOKUP_LIMIT, LOOKUP_WINDOW_S = 300, 15 * 60
TWEET_FIELDS = "created_at,public_metrics"


class XClient(ApiClient):
    platform = "x"

    def error_of(self, answer: Answer) -> ApiError | Throttled | None:
        if answer.status == 429:
            return Throttled(self.seconds_to_reset(answer), "HTTP 429")
        if answer.status == 401:
            return TokenRejected("X rejected the bearer token (HTTP 401)", status=401)
        if answer.status == 403:
            return NotGranted(f"X refused the request (HTTP 403): {self.describe(answer.body)}", status=403)
        return super().error_of(answer)

    def pause_after(self, answer: Answer) -> float:
        """The window is spent: wait for its reset instead of collecting a 429."""
        if answer.headers.get("x-rate-limit-remaining") == "0":
            return max(0.0, self.seconds_to_reset(answer))
        return 0.0

    @staticmethod
    def seconds_to_reset(answer: Answer) -> float:
        reset = answer.headers.get("x-rate-limit-reset")
        if not reset or not reset.strip().isdigit():
            return -1
        return max(1.0, int(reset) - answer.received_at.timestamp())


class XSource(ApiSource):
    """Batched user lookup (100 ids a call, 300 calls per 15 minutes), then each timeline."""

    platform = "x"

    def __init__(self, client: ApiClient, *, lookup_limit: int = LOOKUP_LIMIT, **options):
        super().__init__(client, **options)
        self.lookups = RequestBudget(lookup_limit, LOOKUP_WINDOW_S, client.clock, client.sleep)

    def harvest(self, data_day: date, accounts: Sequence[dict], trailing_days: int = 0) -> Harvest:
        harvest = Harvest()
        days = window_days(data_day, trailing_days)
        for token_value, group in self.by_token(self.my_accounts(accounts), harvest).items():
            for start in range(0, len(group), LOOKUP_BATCH):
                batch = group[start : start + LOOKUP_BATCH]
                users = self.lookup(batch, token_value, harvest)
                for account, token in batch:
                    if account["account_id"] in users:
                        self.harvest_user(account, users[account["account_id"]], token, days, harvest)
        return harvest

    def by_token(self, accounts: list[dict], harvest: Harvest) -> dict[str, list[tuple[dict, Token]]]:
        """Accounts sharing a token (the app's bearer token, usually all) are looked up together."""
        groups: dict[str, list[tuple[dict, Token]]] = defaultdict(list)
        for account in accounts:
            token = self.token_for(account)
            if token.value is None:
                harvest.problems.append(token_missing(self.platform, account, token))
            else:
                groups[token.value].append((account, token))
        return groups

    def lookup(self, batch: list[tuple[dict, Token]], token: str, harvest: Harvest) -> dict[str, dict]:
        """account_id -> X user of one batch; failures become problems of the batch's accounts."""
        ids = ",".join(account["platform_account_id"] for account, _ in batch)
        params = {"ids": ids, "user.fields": "public_metrics"}
        try:
            answer = self.client.request("GET", "/2/users", token=token, params=params, budget=self.lookups)
        except ApiError as error:
            harvest.problems += [
                problem_of_error(self.platform, account, error, where) for account, where in batch
            ]
            return {}
        harvest.payloads.append(answer.payload(SOURCE, self.platform))
        found = {user["id"]: user for user in answer.body.get("data", [])}
        users = {}
        for account, _ in batch:
            if account["platform_account_id"] in found:
                users[account["account_id"]] = found[account["platform_account_id"]]
            else:
                what = f"X has no user {account['platform_account_id']} (suspended, deleted or a wrong id)."
                harvest.problems.append(account_problem(self.platform, account, "not_found", what))
        return users

    def harvest_user(
        self, account: dict, user: dict, token: Token, days: list[date], harvest: Harvest
    ) -> None:
        try:
            tweets = list(self.tweets(user["id"], token.value, days, harvest))
        except ApiError as error:
            harvest.problems.append(problem_of_error(self.platform, account, error, token))
            return
        data_day = days[-1]
        per_day = Counter(metric_day(self.platform, parse_time(tweet["created_at"])) for tweet in tweets)
        values = {"posts": per_day.get(data_day, 0)}
        if level_is_of_day(self.platform, data_day, self.now()):
            values["followers"] = user.get("public_metrics", {}).get("followers_count")
        # a level seen after its day (a backfill) is not that day's: keep what was observed then
        not_observed = {"followers": NoValue.NOT_OBSERVED}
        harvest.account_days.append(
            account_day_record(self.platform, account["account_id"], data_day, values, not_observed)
        )
        harvest.posts += [self.tweet_record(account, tweet) for tweet in tweets]

    def tweets(self, user_id: str, token: str, days: list[date], harvest: Harvest) -> Iterator[dict]:
        """The account's own posts (no replies, no reposts) published in the window, every page."""
        end = day_start(self.platform, days[-1]) + timedelta(days=1)
        params = {
            "start_time": _x_time(day_start(self.platform, days[0])),
            "max_results": 100,
            "tweet.fields": TWEET_FIELDS,
            "exclude": "replies,retweets",
        }
        if end < self.now():  # X refuses an end_time in the future
            params["end_time"] = _x_time(end)
        while True:
            answer = self.client.request("GET", f"/2/users/{user_id}/tweets", token=token, params=params)
            harvest.payloads.append(
                Payload(SOURCE, self.platform, answer.request, answer.received_at, _reduced(answer.body))
            )
            for tweet in answer.body.get("data", []):
                if metric_day(self.platform, parse_time(tweet["created_at"])) in days:
                    yield tweet
            next_token = answer.body.get("meta", {}).get("next_token")
            if not next_token:
                return
            params["pagination_token"] = next_token

    def tweet_record(self, account: dict, tweet: dict) -> dict:
        metrics = tweet.get("public_metrics", {})
        values = {
            "views": metrics.get("impression_count"),
            "likes": metrics.get("like_count"),
            "comments": metrics.get("reply_count"),
            "shares": _sum(metrics.get("retweet_count"), metrics.get("quote_count")),
            "saves": metrics.get("bookmark_count"),
        }
        as_of = metric_day(self.platform, self.now())
        published = parse_time(tweet["created_at"])
        return post_record(
            self.platform, account["account_id"], tweet["id"], as_of, published, "post", values
        )


def _x_time(moment: datetime) -> str:
    """RFC 3339 in UTC, as X's start_time and end_time want it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sum(*counts: int | None) -> int | None:
    return None if any(count is None for count in counts) else sum(counts)


def _reduced(body: dict) -> dict:
    """A timeline page without texts, mentions or reply targets: ids, times and counts only."""
    kept = ("id", "created_at", "public_metrics", "edit_history_tweet_ids")
    tweets = [{key: tweet[key] for key in kept if key in tweet} for tweet in body.get("data", [])]
    return {
        "data": tweets,
        "meta": body.get("meta", {}),
        "reduced": "texts, mentions and reply targets removed",
    }
