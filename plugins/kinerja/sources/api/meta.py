"""Facebook Pages and Instagram professional accounts through Meta's Graph API.

Documentation (stored copies checked):
- Page Insights: https://developers.facebook.com/docs/graph-api/reference/v19.0/insights
  (`page_follows`, `page_media_view`, `page_total_media_view_unique`, period=day, since/until;
  Pages under 100 likes get no insights; most metrics update once every 24 hours)
- Instagram account insights:
  https://developers.facebook.com/docs/instagram-platform/api-reference/instagram-user/insights
  (`views` and `reach` with metric_type=total_value; an empty set instead of 0; data may
  be delayed up to 48 hours; daily periods end at midnight US Pacific)
- Comments: https://developers.facebook.com/docs/graph-api/reference/object/comments
  (filter=stream returns every comment with its `parent`)
- Reactions by type: https://developers.facebook.com/docs/graph-api/reference/pagepost/reactions
  and the post insight `post_reactions_by_type_total` (like, love, wow, haha, sorry, anger)
- Errors: https://developers.facebook.com/docs/graph-api/guides/error-handling
  (190 expired token; 4, 17, 32, 613 throttling)
- Rate limits: https://developers.facebook.com/docs/graph-api/overview/rate-limiting/
  (`X-App-Usage`, `X-Business-Use-Case-Usage` with `estimated_time_to_regain_access` in minutes)

Pagination follows `paging.cursors.after` while `paging.next` is present; the `next` URL
itself is never followed (it carries the token and may point anywhere).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

from kinerja.sources.api.client import (
    Answer,
    ApiClient,
    ApiError,
    NotFound,
    NotGranted,
    Throttled,
    TokenRejected,
)
from kinerja.sources.api.common import (
    SOURCE,
    ApiSource,
    day_of_end_time,
    day_start,
    level_is_of_day,
    parse_time,
)
from kinerja.sources.api.replies import Comment, ReplyStats, reply_stats
from kinerja.sources.base import Harvest, NoValue, Payload, account_day_record, metric_day, post_record

GRAPH_URL = "https://graph.facebook.com/v25.0"
THROTTLE_CODES = {4, 17, 32, 613} | set(range(80000, 80015))  # app, user, page, custom; BUC 800xx
PAGE_METRICS = {
    "page_follows": "followers",
    "page_media_view": "views",
    "page_total_media_view_unique": "reach",
}
INSIGHTS_MIN_LIKES = 100


class MetaClient(ApiClient):
    platform = "meta"
    # Usage headers report percentages of a rolling one-hour window: above this, rest before the
    # next call rather than be blocked (blocks last until the window drains).
    usage_pause_at = 90
    usage_pause_s = 300.0

    def error_of(self, answer: Answer) -> ApiError | Throttled | None:
        error = answer.body.get("error") if isinstance(answer.body, dict) else None
        if not error:
            return super().error_of(answer)
        code, message = error.get("code"), error.get("message", "")
        if code in THROTTLE_CODES:
            return Throttled(regain_seconds(answer.headers) or -1, f"Meta error code {code}")
        if code == 190:
            return TokenRejected(f"Meta error 190: {message}", status=answer.status)
        if code == 10 or (isinstance(code, int) and 200 <= code < 300):
            return NotGranted(f"Meta permission error {code}: {message}", status=answer.status)
        if code == 100 and error.get("error_subcode") == 33:
            return NotFound(f"Meta error 100/33: {message}", status=answer.status)
        return ApiError(f"Meta error {code}: {message}", status=answer.status)

    def pause_after(self, answer: Answer) -> float:
        if usage_percent(answer.headers) < self.usage_pause_at:
            return 0.0
        return max(regain_seconds(answer.headers), self.usage_pause_s)


def _usage_entries(headers) -> list[dict]:
    entries = []
    if app := headers.get("x-app-usage"):
        entries.append(_json_or_empty(app))
    if business := headers.get("x-business-use-case-usage"):
        for per_business in _json_or_empty(business).values():
            entries.extend(per_business if isinstance(per_business, list) else [])
    return [entry for entry in entries if isinstance(entry, dict)]


def _json_or_empty(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def usage_percent(headers) -> float:
    """The highest share of any Meta rate limit used, in percent (0 when no header)."""
    keys = ("call_count", "total_cputime", "total_time")
    return max(
        (float(entry.get(key, 0) or 0) for entry in _usage_entries(headers) for key in keys), default=0.0
    )


def regain_seconds(headers) -> float:
    """Meta's `estimated_time_to_regain_access` (minutes) in seconds, 0 when absent."""
    minutes = [
        float(entry.get("estimated_time_to_regain_access", 0) or 0) for entry in _usage_entries(headers)
    ]
    return max(minutes, default=0.0) * 60


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


class GraphSource(ApiSource):
    """What Facebook and Instagram share: paged reads that archive every page."""

    insight_metrics: tuple[str, ...] = ()  # account-day metrics that come from daily insights

    def pages(
        self, path: str, token: str, params: dict, harvest: Harvest, archive: bool = True
    ) -> Iterator[dict]:
        """Every item of a paged edge; each page is archived unless it holds personal data."""
        params = dict(params)
        while True:
            answer = self.client.request("GET", path, token=token, params=params)
            if archive:
                harvest.payloads.append(answer.payload(SOURCE, self.platform))
            yield from answer.body.get("data", [])
            paging = answer.body.get("paging", {})
            after = paging.get("cursors", {}).get("after")
            if not paging.get("next") or not after:
                return
            params["after"] = after

    def get(self, path: str, token: str, params: dict, harvest: Harvest) -> dict:
        answer = self.client.request("GET", path, token=token, params=params)
        harvest.payloads.append(answer.payload(SOURCE, self.platform))
        return answer.body

    def window_params(self, days: list[date]) -> dict:
        return {
            "since": unix(day_start(self.platform, days[0])),
            "until": unix(day_start(self.platform, days[-1]) + timedelta(days=1)),
        }

    def replies_of(
        self, post_id: str, read_comments: Callable[[], list[Comment]], harvest: Harvest, request: str
    ):
        """Reduce a post's comments to counts; only the counts are archived (and read back from the
        archive when the client answers from it: the comments themselves were never kept)."""
        archived = self.client.archived_reduction(request)
        stats = reply_stats(read_comments()) if archived is None else ReplyStats.from_payload(archived)
        harvest.payloads.append(
            Payload(SOURCE, self.platform, request, self.now(), stats.as_payload(post_id))
        )
        return stats

    def missing_reason(self, audience: int | None) -> NoValue:
        """Why an insight has no value: too small for insights, or not published yet (48 h lag)."""
        if audience is not None and audience < INSIGHTS_MIN_LIKES:
            return NoValue.BELOW_THRESHOLD
        return NoValue.NOT_YET_AVAILABLE

    def day_records(
        self, account: dict, days, per_day: dict, level: int | None, posts_per_day, reason
    ) -> list:
        observed = self.now()
        records = []
        for day in days:
            values = dict(per_day.get(day, {}))
            values["posts"] = posts_per_day.get(day, 0)
            if (
                "followers" not in values
                and day == days[-1]
                and level_is_of_day(self.platform, day, observed)
            ):
                values["followers"] = level
            missing = {name: reason for name in self.insight_metrics if values.get(name) is None}
            if values.get("followers") is None and "followers" not in self.insight_metrics:
                # a level seen only "now": landing keeps what the day's own pull observed
                missing["followers"] = NoValue.NOT_OBSERVED
            records.append(account_day_record(self.platform, account["account_id"], day, values, missing))
        return records


class FacebookSource(GraphSource):
    """Facebook Pages: daily page insights, posts with reactions (anger too), reply latency."""

    platform = "facebook"
    insight_metrics = ("followers", "views", "reach")

    def harvest_account(self, account: dict, token: str, days: list[date]) -> Harvest:
        harvest = Harvest()
        page_id = account["platform_account_id"]
        page = self.get(f"/{page_id}", token, {"fields": "id,followers_count,fan_count"}, harvest)
        per_day = self.page_insights(page_id, token, days, harvest)
        posts = list(self.posts(page_id, token, days, harvest))
        posts_per_day = Counter(metric_day(self.platform, parse_time(post["created_time"])) for post in posts)
        reason = self.missing_reason(page.get("fan_count"))
        harvest.account_days += self.day_records(account, days, per_day, None, posts_per_day, reason)
        for post in posts:
            harvest.posts.append(self.post_record(account, page_id, post, token, harvest))
        return harvest

    def page_insights(self, page_id: str, token: str, days: list[date], harvest: Harvest) -> dict:
        params = {"metric": ",".join(PAGE_METRICS), "period": "day", **self.window_params(days)}
        body = self.get(f"/{page_id}/insights", token, params, harvest)
        per_day: dict[date, dict] = {}
        for series in body.get("data", []):
            name = PAGE_METRICS.get(series.get("name"))
            for point in series.get("values", []) if name else []:
                day = day_of_end_time(self.platform, parse_time(point["end_time"]))
                if day in days:
                    per_day.setdefault(day, {})[name] = point.get("value")
        return per_day

    def posts(self, page_id: str, token: str, days: list[date], harvest: Harvest) -> Iterator[dict]:
        fields = (
            "id,created_time,status_type,shares,reactions.summary(total_count).limit(0),"
            "comments.summary(total_count).limit(0),insights.metric(post_reactions_by_type_total)"
        )
        params = {"fields": fields, "limit": 100, **self.window_params(days)}
        for post in self.pages(f"/{page_id}/posts", token, params, harvest):
            if metric_day(self.platform, parse_time(post["created_time"])) in days:
                yield post

    def post_record(self, account: dict, page_id: str, post: dict, token: str, harvest: Harvest) -> dict:
        stats = self.comment_stats(page_id, post["id"], token, harvest)
        by_type = _insight_value(post, "post_reactions_by_type_total") or {}
        values = {
            "likes": post.get("reactions", {}).get("summary", {}).get("total_count"),
            "comments": post.get("comments", {}).get("summary", {}).get("total_count"),
            # Graph leaves `shares` out of a post nobody shared, and zero reaction types out of the map
            "shares": post.get("shares", {}).get("count", 0),
            "angry": by_type.get("anger", 0),
            "replies": stats.answered,
            "replies_24h": stats.answered_24h,
            "reply_latency_median_s": stats.median_latency_s,
        }
        missing = {"reply_latency_median_s": NoValue.NOT_YET_AVAILABLE}
        published = parse_time(post["created_time"])
        as_of = metric_day(self.platform, self.now())
        return post_record(
            self.platform,
            account["account_id"],
            post["id"],
            as_of,
            published,
            post.get("status_type"),
            values,
            missing,
        )

    def comment_stats(self, page_id: str, post_id: str, token: str, harvest: Harvest):
        params = {"filter": "stream", "fields": "id,created_time,from{id},parent{id}", "limit": 100}
        path = f"/{post_id}/comments"

        def read_comments() -> list[Comment]:
            return [
                _facebook_comment(item, page_id) for item in self.pages(path, token, params, harvest, False)
            ]

        return self.replies_of(post_id, read_comments, harvest, f"GET {path} (reduced to counts)")


def _facebook_comment(item: dict, page_id: str) -> Comment:
    parent = (item.get("parent") or {}).get("id")
    return Comment(
        thread=parent or item.get("id", ""),
        created=parse_time(item["created_time"]),
        by_account=(item.get("from") or {}).get("id") == page_id,
        is_reply=parent is not None,
    )


def _insight_value(post: dict, metric: str):
    for series in post.get("insights", {}).get("data", []):
        if series.get("name") == metric and series.get("values"):
            return series["values"][0].get("value")
    return None


class InstagramSource(GraphSource):
    """Instagram professional accounts: daily views and reach, followers, media, reply latency."""

    platform = "instagram"
    insight_metrics = ("views", "reach")  # followers: a level of "now" only (see common.py)

    def harvest_account(self, account: dict, token: str, days: list[date]) -> Harvest:
        harvest = Harvest()
        user_id = account["platform_account_id"]
        user = self.get(f"/{user_id}", token, {"fields": "id,followers_count,media_count"}, harvest)
        per_day = {day: self.day_insights(user_id, token, day, harvest) for day in days}
        media = list(self.media(user_id, token, days, harvest))
        posts_per_day = Counter(metric_day(self.platform, parse_time(item["timestamp"])) for item in media)
        reason = self.missing_reason(user.get("followers_count"))
        records = self.day_records(account, days, per_day, user.get("followers_count"), posts_per_day, reason)
        harvest.account_days += records
        for item in media:
            harvest.posts.append(self.media_record(account, user_id, item, token, harvest))
        return harvest

    def day_insights(self, user_id: str, token: str, day: date, harvest: Harvest) -> dict:
        """One day's total views and reach (total_value has no daily series: one request a day)."""
        start = day_start(self.platform, day)
        params = {
            "metric": "views,reach",
            "period": "day",
            "metric_type": "total_value",
            "since": unix(start),
            "until": unix(start + timedelta(days=1)),
        }
        body = self.get(f"/{user_id}/insights", token, params, harvest)
        return {
            series["name"]: series.get("total_value", {}).get("value")
            for series in body.get("data", [])
            if series.get("name") in ("views", "reach")
        }

    def media(self, user_id: str, token: str, days: list[date], harvest: Harvest) -> Iterator[dict]:
        params = {
            "fields": "id,timestamp,media_type,like_count,comments_count",
            "limit": 100,
            **self.window_params(days),
        }
        for item in self.pages(f"/{user_id}/media", token, params, harvest):
            day = metric_day(self.platform, parse_time(item["timestamp"]))
            if day in days:
                yield item
            elif day < days[0]:
                return  # newest first: the rest is older than the window

    def media_record(self, account: dict, user_id: str, item: dict, token: str, harvest: Harvest) -> dict:
        stats = self.comment_stats(user_id, item["id"], token, harvest)
        values = {
            "likes": item.get("like_count"),
            "comments": item.get("comments_count"),
            "replies": stats.answered,
            "replies_24h": stats.answered_24h,
            "reply_latency_median_s": stats.median_latency_s,
        }
        missing = {"likes": NoValue.HIDDEN, "reply_latency_median_s": NoValue.NOT_YET_AVAILABLE}
        as_of = metric_day(self.platform, self.now())
        published = parse_time(item["timestamp"])
        return post_record(
            self.platform,
            account["account_id"],
            item["id"],
            as_of,
            published,
            item.get("media_type"),
            values,
            missing,
        )

    def comment_stats(self, user_id: str, media_id: str, token: str, harvest: Harvest):
        params = {"fields": "id,timestamp,from{id},replies{id,timestamp,from{id}}", "limit": 50}
        path = f"/{media_id}/comments"

        def read_comments() -> list[Comment]:
            comments: list[Comment] = []
            for item in self.pages(path, token, params, harvest, archive=False):
                comments += _instagram_thread(item, user_id)
            return comments

        return self.replies_of(media_id, read_comments, harvest, f"GET {path} (reduced to counts)")


def _instagram_thread(item: dict, user_id: str) -> list[Comment]:
    thread = item.get("id", "")
    top = Comment(thread, parse_time(item["timestamp"]), (item.get("from") or {}).get("id") == user_id, False)
    replies = [
        Comment(thread, parse_time(reply["timestamp"]), (reply.get("from") or {}).get("id") == user_id, True)
        for reply in item.get("replies", {}).get("data", [])
    ]
    return [top, *replies]
