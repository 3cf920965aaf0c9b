"""TikTok accounts through the TikTok Display API (v2).

Why the Display API and not the Business API: the Display API is TikTok's documented,
self-serve API for reading an account's own profile and videos with a token the account
holder grants (scopes user.info.stats, video.list); any account type can grant it, which
fits ~650 institutions whose admins manage their own accounts. The Business API needs a
TikTok for Business developer app and business accounts, and its documentation is not in
our stored copies to check payloads against. The cost: the Display API gives levels "now"
and lifetime video totals only, no daily series (as with X).

Documentation (stored copies checked):
- Overview: https://developers.tiktok.com/doc/display-api-overview/
- User info: https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info
  (`GET /v2/user/info/?fields=...`, answer `{"data": {"user": {...}}, "error": {...}}`)
- Video list: `POST /v2/video/list/?fields=...` with `{"max_count": 20, "cursor": ...}`;
  answer `data.videos`, `data.cursor`, `data.has_more` (newest first)
- Errors: https://developers.tiktok.com/doc/tiktok-api-v2-error-handling (`error.code`
  `ok`, `access_token_invalid` 401, `rate_limit_exceeded` 429, `scope_not_authorized` 401)
- Rate limits: https://developers.tiktok.com/docs/en/tiktok-api-v2-rate-limit (600 requests
  a minute per endpoint, one-minute sliding window)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime

from kinerja.sources.api.client import (
    Answer,
    ApiClient,
    ApiError,
    NotGranted,
    Throttled,
    TokenRejected,
    retry_after_seconds,
)
from kinerja.sources.api.common import SOURCE, ApiSource, day_start, level_is_of_day
from kinerja.sources.base import Harvest, NoValue, account_day_record, metric_day, post_record

TIKTOK_URL = "https://open.tiktokapis.com"
USER_FIELDS = "open_id,follower_count,likes_count,video_count"
VIDEO_FIELDS = "id,create_time,view_count,like_count,comment_count,share_count"
PAGE_SIZE = 20  # the documented maximum of max_count
SLIDING_WINDOW_S = 60.0


class TokenOfAnotherAccount(TokenRejected):
    """A valid token granted by a different TikTok account than the registry's."""

    kind = "token_wrong_account"


class TikTokClient(ApiClient):
    platform = "tiktok"

    def error_of(self, answer: Answer) -> ApiError | Throttled | None:
        error = answer.body.get("error") if isinstance(answer.body, dict) else None
        code = (error or {}).get("code", "ok" if answer.status < 400 else f"http_{answer.status}")
        message = f"TikTok {code}: {(error or {}).get('message', '')}".rstrip(": ")
        if code == "ok":
            return None
        if code == "rate_limit_exceeded" or answer.status == 429:
            # the limit is counted over a sliding minute: waiting a minute always clears it
            wait = retry_after_seconds(answer.headers, answer.received_at)
            return Throttled(wait if wait is not None else SLIDING_WINDOW_S, message)
        if code == "access_token_invalid":
            return TokenRejected(message, status=answer.status)
        if code in ("scope_not_authorized", "scope_permission_missed"):
            return NotGranted(message, status=answer.status)
        return ApiError(message, status=answer.status)


class TikTokSource(ApiSource):
    """The account's level (followers) and its videos of the window, every page."""

    platform = "tiktok"

    def harvest_account(self, account: dict, token: str, days: list[date]) -> Harvest:
        harvest = Harvest()
        user = self.user(token, harvest)
        if account.get("platform_account_id") and user.get("open_id") != account["platform_account_id"]:
            raise TokenOfAnotherAccount(
                f"the token belongs to another TikTok account (open_id {user.get('open_id')}, "
                f"registry has {account['platform_account_id']})"
            )
        videos = list(self.videos(token, days, harvest))
        data_day = days[-1]
        per_day = Counter(metric_day(self.platform, _created(video)) for video in videos)
        values = {"posts": per_day.get(data_day, 0)}
        if level_is_of_day(self.platform, data_day, self.now()):
            values["followers"] = user.get("follower_count")
        # a level seen after its day (a backfill) is not that day's: keep what was observed then
        not_observed = {"followers": NoValue.NOT_OBSERVED}
        harvest.account_days.append(
            account_day_record(self.platform, account["account_id"], data_day, values, not_observed)
        )
        harvest.posts += [self.video_record(account, video) for video in videos]
        return harvest

    def user(self, token: str, harvest: Harvest) -> dict:
        answer = self.client.request("GET", "/v2/user/info/", token=token, params={"fields": USER_FIELDS})
        harvest.payloads.append(answer.payload(SOURCE, self.platform))
        return answer.body.get("data", {}).get("user", {})

    def videos(self, token: str, days: list[date], harvest: Harvest) -> Iterator[dict]:
        """Videos of the window; pages newest first until one reaches before the window."""
        window_start = day_start(self.platform, days[0])
        body: dict = {"max_count": PAGE_SIZE}
        while True:
            answer = self.client.request(
                "POST", "/v2/video/list/", token=token, params={"fields": VIDEO_FIELDS}, json=body
            )
            harvest.payloads.append(answer.payload(SOURCE, self.platform))
            data = answer.body.get("data", {})
            page = data.get("videos", [])
            yield from (video for video in page if metric_day(self.platform, _created(video)) in days)
            if not data.get("has_more") or any(_created(video) < window_start for video in page):
                return
            body["cursor"] = data["cursor"]

    def video_record(self, account: dict, video: dict) -> dict:
        values = {
            "views": video.get("view_count"),
            "likes": video.get("like_count"),
            "comments": video.get("comment_count"),
            "shares": video.get("share_count"),
        }
        as_of = metric_day(self.platform, self.now())
        return post_record(
            self.platform, account["account_id"], video["id"], as_of, _created(video), "video", values
        )


def _created(video: dict) -> datetime:
    return datetime.fromtimestamp(int(video["create_time"]), UTC)
