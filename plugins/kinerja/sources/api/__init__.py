"""Platform API connectors: each implements kinerja.sources.base.Source for one platform.

`connector(platform, base_url=None, **client_options)` builds the connector of a platform
with its production base URL (tests pass a 127.0.0.1 base URL, clock and sleep).
"""

from __future__ import annotations

from kinerja.sources.api.meta import GRAPH_URL, FacebookSource, InstagramSource, MetaClient
from kinerja.sources.api.tiktok import TIKTOK_URL, TikTokClient, TikTokSource
from kinerja.sources.api.x import X_URL, XClient, XSource
from kinerja.sources.api.youtube import ANALYTICS_URL, DATA_URL, YouTubeClient, YouTubeSource

# platform -> (connector class, client class, production base URL)
CONNECTORS = {
    "facebook": (FacebookSource, MetaClient, GRAPH_URL),
    "instagram": (InstagramSource, MetaClient, GRAPH_URL),
    "x": (XSource, XClient, X_URL),
    "youtube": (YouTubeSource, YouTubeClient, DATA_URL),
    "tiktok": (TikTokSource, TikTokClient, TIKTOK_URL),
}


def connector(
    platform: str, base_url: str | None = None, *, environ=None, connection_lookup=None, **client_options
):
    """The connector of `platform`, ready to harvest (`base_url` serves every endpoint in tests)."""
    source_class, client_class, default_url = CONNECTORS[platform]
    client = client_class(base_url or default_url, **client_options)
    extra = {}
    if platform == "youtube":  # Analytics lives on its own host
        extra["analytics_client"] = client_class(base_url or ANALYTICS_URL, **client_options)
    return source_class(client, environ=environ, connection_lookup=connection_lookup, **extra)
