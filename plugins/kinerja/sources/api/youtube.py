"""YouTube channels through the YouTube Data API v3 and, where granted, YouTube Analytics.

Documentation (stored copies checked):
- channels.list statistics (`subscriberCount`, `hiddenSubscriberCount`, `videoCount`):
  https://googleapis.dev/dotnet/Google.Apis.YouTube.v3/latest/api/Google.Apis.YouTube.v3.Data.ChannelStatistics.html
- Quota: https://developers.google.cn/youtube/data/determine_quota_cost.md.txt ("Daily quotas
  reset at midnight Pacific Time"; 10,000 units a day, channels.list costs 1) and
  https://developers.google.com/youtube/data/guides/quota_and_compliance_audits
- Analytics reports.query (`ids`, `startDate`, `endDate`, `metrics`, `dimensions=day`;
  needs the yt-analytics.readonly scope): https://developers.google.cn/youtube/analytics/reference/reports/query
  and https://developers.google.cn/youtube/analytics/data_model.md.txt

A spent quota (403 `quotaExceeded`) stops the whole YouTube harvest at once with one
platform-level problem that says when the quota resets (next midnight US Pacific): every
further call would fail and still cost quota. A channel whose owner has not granted
Analytics gets its daily metrics as "not granted", never 0.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kinerja.sources.api.client import (
    Answer,
    ApiClient,
    ApiError,
    NotFound,
    NotGranted,
    QuotaExhausted,
    Throttled,
    TokenRejected,
)
from kinerja.sources.api.common import SOURCE, ApiSource, level_is_of_day
from kinerja.sources.base import Harvest, NoValue, account_day_record

DATA_URL = "https://www.googleapis.com"
ANALYTICS_URL = "https://youtubeanalytics.googleapis.com"
QUOTA_ZONE = ZoneInfo("America/Los_Angeles")
ANALYTICS_METRICS = {"views": "views", "likes": "likes", "comments": "comments", "shares": "shares"}
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


def next_quota_reset(moment: datetime) -> datetime:
    """The next midnight US Pacific after `moment`, when YouTube's daily quota resets."""
    local = moment.astimezone(QUOTA_ZONE)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=QUOTA_ZONE)


class YouTubeClient(ApiClient):
    platform = "youtube"

    def error_of(self, answer: Answer) -> ApiError | Throttled | None:
        error = answer.body.get("error") if isinstance(answer.body, dict) else None
        if not isinstance(error, dict):
            return super().error_of(answer)
        reasons = {item.get("reason") for item in error.get("errors", [])}
        message = f"YouTube {error.get('code')} {'/'.join(sorted(filter(None, reasons)))}"
        if reasons & QUOTA_REASONS:
            return QuotaExhausted(
                message, status=answer.status, retry_after=next_quota_reset(answer.received_at)
            )
        if reasons & THROTTLE_REASONS:
            return Throttled(-1, message)
        if answer.status == 401:
            return TokenRejected(message, status=401)
        if answer.status == 403:
            return NotGranted(message, status=403)
        if answer.status == 404:
            return NotFound(message, status=404)
        return ApiError(message, status=answer.status)


class YouTubeSource(ApiSource):
    """channels.list for levels, Analytics for daily views, likes, comments and shares."""

    platform = "youtube"

    def __init__(self, client: ApiClient, *, analytics_client: ApiClient | None = None, **options):
        super().__init__(client, **options)
        self.analytics = analytics_client or client

    def harvest_account(self, account: dict, token: str, days: list[date]) -> Harvest:
        harvest = Harvest()
        channel_id = account["platform_account_id"]
        statistics = self.statistics(channel_id, token, harvest)
        daily = self.daily(channel_id, token, days, harvest)
        harvest.account_days += self.records(account, days, statistics, daily)
        return harvest

    def statistics(self, channel_id: str, token: str, harvest: Harvest) -> dict:
        params = {"part": "statistics", "id": channel_id}
        answer = self.client.request("GET", "/youtube/v3/channels", token=token, params=params)
        harvest.payloads.append(answer.payload(SOURCE, self.platform))
        items = answer.body.get("items") or []
        if not items:
            raise NotFound(f"YouTube has no channel {channel_id} (deleted, or a wrong channel id)")
        return items[0].get("statistics", {})

    def daily(
        self, channel_id: str, token: str, days: list[date], harvest: Harvest
    ) -> dict[date, dict] | None:
        """Daily Analytics values by day, or None when the channel has not granted Analytics."""
        params = {
            "ids": f"channel=={channel_id}",
            "startDate": days[0].isoformat(),
            "endDate": days[-1].isoformat(),
            "metrics": ",".join(ANALYTICS_METRICS),
            "dimensions": "day",
        }
        try:
            answer = self.analytics.request("GET", "/v2/reports", token=token, params=params)
        except NotGranted:
            return None
        harvest.payloads.append(answer.payload(SOURCE, self.platform))
        names = [header["name"] for header in answer.body.get("columnHeaders", [])]
        # every row carries one cell per column header (the report format): a short row is a broken answer
        rows = [dict(zip(names, row, strict=True)) for row in answer.body.get("rows") or []]
        return {
            date.fromisoformat(row["day"]): {
                ANALYTICS_METRICS[k]: v for k, v in row.items() if k in ANALYTICS_METRICS
            }
            for row in rows
        }

    def records(self, account: dict, days: list[date], statistics: dict, daily: dict | None) -> list[dict]:
        """Every window day when Analytics is granted, else the data day alone (levels only)."""
        data_day = days[-1]
        followers, followers_reason = self.followers(statistics, data_day)
        reason = NoValue.NOT_GRANTED if daily is None else NoValue.NOT_YET_AVAILABLE
        records = []
        for day in days if daily is not None else [data_day]:
            values = dict((daily or {}).get(day, {}))
            missing = dict.fromkeys(ANALYTICS_METRICS, reason)
            if day == data_day:
                values["followers"] = followers
            # a level seen only "now": on other days landing keeps what their own pull observed
            missing["followers"] = followers_reason if day == data_day else NoValue.NOT_OBSERVED
            if followers_reason == NoValue.HIDDEN:
                missing["followers"] = NoValue.HIDDEN
            records.append(account_day_record(self.platform, account["account_id"], day, values, missing))
        return records

    def followers(self, statistics: dict, data_day: date) -> tuple[int | None, NoValue]:
        """Subscribers of data_day: hidden by the owner, or the level observed after the day closed."""
        if statistics.get("hiddenSubscriberCount"):
            return None, NoValue.HIDDEN
        if "subscriberCount" not in statistics:
            return None, NoValue.NOT_REPORTED
        if not level_is_of_day(self.platform, data_day, self.now()):
            return None, NoValue.NOT_OBSERVED  # a backfill: the platform keeps no history of the level
        return int(statistics["subscriberCount"]), NoValue.NOT_REPORTED
