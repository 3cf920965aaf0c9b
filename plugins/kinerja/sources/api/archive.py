"""A platform's harvest of one day made again from the payloads archived when it was pulled.

`harvest_from_archive` runs the platform's own connector (the same requests, the same parsers)
against a client that answers each request with the payload archived for it and whose clock
reads the time that answer was received: the records come out as the pull made them, and so
land as the batches they were (batch ids are derived from content). Comments were reduced to
counts before anything was archived; the connector reads those counts back
(`ApiClient.archived_reduction`). A request with no archived answer becomes a problem of kind
`not_archived` naming the account and the request; nothing is asked of the platform.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import httpx

from kinerja import config
from kinerja.sources.api.client import Answer, ApiClient, ApiError
from kinerja.sources.base import Harvest

NOT_ARCHIVED = "not_archived"


class NotArchived(ApiError):
    kind = NOT_ARCHIVED


class ArchivedAnswers(ApiClient):
    """A client that answers from the archive: (request, received_at, body) of one day and platform."""

    platform = "archive"

    def __init__(self, answers: Iterable[tuple[str, datetime, Any]]):
        self.answers = {request: (received_at, body) for request, received_at, body in answers}
        self.now = min((received_at for received_at, _ in self.answers.values()), default=None)
        super().__init__("http://archive.invalid", clock=lambda: self.now, sleep=lambda seconds: None)

    def _received(self, request: str) -> tuple[datetime, Any]:
        if request not in self.answers:
            raise NotArchived(f"no archived answer to {request}")
        received_at, body = self.answers[request]
        self.now = received_at  # the connector's clock reads the time of the answer it just had
        return received_at, body

    def _send(self, method: str, path: str, token: str | None, params: dict | None, json: Any) -> Answer:
        request = self.shown_request(method, path, params)
        received_at, body = self._received(request)
        return Answer(200, httpx.Headers(), body, request, received_at)

    def archived_reduction(self, request: str) -> Any:
        return self._received(request)[1]


def harvest_from_archive(
    platform: str,
    data_day: date,
    accounts: Sequence[dict],
    trailing_days: int,
    answers: Iterable[tuple[str, datetime, Any]],
) -> Harvest:
    """`platform`'s harvest of `data_day` made from its archived `answers` (see the module)."""
    from kinerja.sources.api import CONNECTORS

    source_class = CONNECTORS[platform][0]
    client = ArchivedAnswers(answers)
    # no token is sent anywhere; the connector only needs one to ask
    environ = {config.api_token_name(platform): "answered-from-the-archive"}
    extra = {"analytics_client": client} if platform == "youtube" else {}
    source = source_class(client, environ=environ, connection_lookup=lambda conn_id: None, **extra)
    try:
        return source.harvest(data_day, accounts, trailing_days)
    finally:
        client.close()
