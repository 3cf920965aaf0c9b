"""The HTTP layer every platform connector shares.

One `ApiClient` per platform: a base URL (tests point it at 127.0.0.1), an injected clock
and sleep function (tests assert the waits without waiting), bounded retries that honour
the platform's wait hints (`Retry-After`, X's `x-rate-limit-reset`, Meta's usage headers),
an optional request budget, and redaction: tokens travel only in the Authorization header
and never appear in a logged line, a payload's `request`, a payload body or an error.

Subclasses say what a platform's answer means (`error_of`, `pause_after`); the loop is here.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from kinerja.sources.base import Payload

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]

# Query parameters that carry credentials on some platforms (Meta's access_token, Google's key).
SECRET_PARAMS = ("access_token", "input_token", "key", "client_secret", "appsecret_proof", "token")
_SECRET_PARAM_IN_TEXT = re.compile(r"(?<=[?&])(" + "|".join(SECRET_PARAMS) + r")=[^&#\s\"']*")
REDACTED = "[redacted]"


def utc_now() -> datetime:
    return datetime.now(UTC)


class ApiError(Exception):
    """A request that failed for good. `kind` is the SourceProblem kind it becomes."""

    kind = "request_failed"

    def __init__(self, message: str, *, status: int | None = None, retry_after: datetime | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class TokenRejected(ApiError):
    kind = "token_expired"


class NotGranted(ApiError):
    kind = "not_granted"


class NotFound(ApiError):
    kind = "not_found"


class RateLimited(ApiError):
    kind = "rate_limited"


class QuotaExhausted(ApiError):
    """The platform's quota for the whole project is spent: stop asking until `retry_after`."""

    kind = "quota_exhausted"


@dataclass(frozen=True)
class Throttled:
    """The platform asked us to slow down: wait `seconds`, then ask again."""

    seconds: float
    reason: str


@dataclass
class Answer:
    status: int
    headers: httpx.Headers
    body: Any  # parsed JSON, secrets removed
    request: str  # "GET /path?query" without secrets
    received_at: datetime

    def payload(self, source: str, platform: str, body: Any = None) -> Payload:
        """The archive record of this answer; pass `body` when personal data had to be reduced first."""
        return Payload(source, platform, self.request, self.received_at, self.body if body is None else body)


class RequestBudget:
    """At most `limit` requests in any `window_s` seconds (X: 300 user lookups per 15 minutes)."""

    def __init__(self, limit: int, window_s: float, clock: Clock, sleep: Sleep):
        self.limit, self.window = limit, timedelta(seconds=window_s)
        self.clock, self.sleep = clock, sleep
        self.sent: deque[datetime] = deque()

    def acquire(self) -> None:
        now = self.clock()
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()
        if len(self.sent) >= self.limit:
            wait = (self.sent[0] + self.window - now).total_seconds()
            log.info("request budget of %s per %s spent: waiting %.0f s", self.limit, self.window, wait)
            self.sleep(wait)
            self.sent.popleft()
        self.sent.append(self.clock())


def retry_after_seconds(headers: httpx.Headers, now: datetime) -> float | None:
    """RFC 9110 Retry-After: a number of seconds or an HTTP date."""
    value = headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


class ApiClient:
    """Bounded, throttle-aware JSON requests against one platform."""

    platform = "generic"
    # Waits when the platform throttles without saying for how long: doubling, bounded.
    backoff_s: tuple[float, ...] = (30.0, 60.0, 120.0)

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        max_attempts: int = 4,
        timeout_s: float = 30.0,
    ):
        self.clock = clock or utc_now
        self.sleep = sleep or time.sleep
        self.max_attempts = max_attempts
        self._secrets: set[str] = set()
        self._http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    # --- what a platform's answer means (overridden per platform) ---

    def error_of(self, answer: Answer) -> ApiError | Throttled | None:
        if answer.status in (429, 503):
            wait = retry_after_seconds(answer.headers, answer.received_at)
            return Throttled(wait if wait is not None else -1, f"HTTP {answer.status}")
        if answer.status == 401:
            return TokenRejected("the platform rejected the access token (HTTP 401)", status=401)
        if answer.status >= 400:
            return ApiError(f"HTTP {answer.status}: {self.describe(answer.body)}", status=answer.status)
        return None

    def pause_after(self, answer: Answer) -> float:
        """Seconds to rest after a successful answer (usage headers near their limit)."""
        return 0.0

    @staticmethod
    def describe(body: Any) -> str:
        return str(body)[:300]

    # --- the request loop ---

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        budget: RequestBudget | None = None,
    ) -> Answer:
        if token:
            self._secrets.add(token)
        for attempt in range(self.max_attempts):
            if budget:
                budget.acquire()
            answer = self._send(method, path, token, params, json)
            outcome = self.error_of(answer)
            if outcome is None:
                self._rest(self.pause_after(answer), "usage near the platform's limit")
                return answer
            if isinstance(outcome, ApiError):
                raise outcome
            wait = (
                outcome.seconds
                if outcome.seconds >= 0
                else self.backoff_s[min(attempt, len(self.backoff_s) - 1)]
            )
            if attempt == self.max_attempts - 1:
                raise RateLimited(
                    f"still throttled after {self.max_attempts} attempts ({outcome.reason})",
                    status=answer.status,
                    retry_after=self.clock() + timedelta(seconds=wait),
                )
            self._rest(wait, f"throttled ({outcome.reason}) on {answer.request}")
        raise AssertionError("unreachable")

    def _rest(self, seconds: float, why: str) -> None:
        if seconds > 0:
            log.info("%s: %s; waiting %.0f s", self.platform, why, seconds)
            self.sleep(seconds)

    def _send(self, method: str, path: str, token: str | None, params: dict | None, json: Any) -> Answer:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        shown = self.shown_request(method, path, params)
        try:
            response = self._http.request(method, path, params=params, json=json, headers=headers)
        except httpx.TransportError as error:
            raise ApiError(f"{shown}: the platform could not be reached ({type(error).__name__})") from None
        log.debug("%s -> %s", shown, response.status_code)
        try:
            body = response.json()
        except ValueError:
            body = {"unparsed_text": response.text[:500]}
        return Answer(response.status_code, response.headers, self.redact(body), shown, self.clock())

    def shown_request(self, method: str, path: str, params: dict | None) -> str:
        """A request as logged and archived (a payload's `request`): method, path and query, no secrets."""
        return self.redact(f"{method} {path}" + (f"?{urlencode(params, doseq=True)}" if params else ""))

    def archived_reduction(self, request: str) -> Any:
        """The archived body of a payload this client did not receive but a connector reduced
        (comments reduced to counts); None: read the platform (only a client of the archive has one)."""
        return None

    def redact(self, value: Any) -> Any:
        """`value` with every token this client has used, and every credential parameter, removed."""
        if isinstance(value, str):
            value = _SECRET_PARAM_IN_TEXT.sub(lambda match: f"{match.group(1)}={REDACTED}", value)
            for secret in self._secrets:
                value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            return {key: self.redact(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.redact(item) for item in value]
        return value
