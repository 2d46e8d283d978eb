"""The isolated player: a frame that runs library code without the session.

The page that embeds H5P (a module page, or `/h5p/<uuid>/`) holds the trainee's
session. The player frame is a separate document served from
`H5P_CONTENT_ORIGIN` when one is configured: there library code never sees the
session cookie or the CSRF token. Without a separate origin the frame shares the
site's origin (h5p-standalone needs `allow-same-origin` for its inner frame), so
production should always set H5P_CONTENT_ORIGIN.

The frame learns who plays from a short-lived signed token in its URL; H5P core
saves state through a token-signed endpoint; statements go to the parent page by
`postMessage`, and the parent posts them to the server (static/h5p/host.js).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.templatetags.static import static
from django.urls import reverse

from courses.h5p import storage
from courses.h5p.models import H5PContent

TOKEN_SALT = "h5p-player"
TOKEN_MAX_AGE = (
    4 * 60 * 60
)  # long enough for a module, short enough to be useless later
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        # h5p-standalone 3.8.2 writes one fixed inline script into its inner frame
        # (it hands H5PIntegration down); allow exactly that script by its hash.
        # A version bump that changes it shows up in the browser test.
        "script-src 'self' 'sha256-8CniZYrnO46q7MvZ3m08Wom1HH/ZhyXmm29kBKTV1rk='",
        # H5P content types set inline styles on elements they build.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)


@dataclass(frozen=True)
class PlayerGrant:
    """What a valid player token says: who plays, and which page embeds the frame."""

    user_id: int
    parent_origin: str


def player_token(*, user: Any, content: H5PContent, parent_origin: str) -> str:
    """A signed, short-lived grant to play one content, naming the embedding origin.

    The frame may live on another origin, so it cannot know the site's origin
    by itself; the grant carries it for frame-ancestors and postMessage.
    """
    payload = {"u": user.pk, "c": str(content.uuid), "o": parent_origin}
    return signing.dumps(payload, salt=TOKEN_SALT)


def player_grant(*, token: str, content: H5PContent) -> PlayerGrant | None:
    """The grant in a valid, unexpired token for this content (else None)."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("c") != str(content.uuid):
        return None
    return PlayerGrant(user_id=data["u"], parent_origin=data["o"])


def content_origin(request: Any) -> str:
    """The origin the player frame is served from (this site's when none is set)."""
    return (
        settings.H5P_CONTENT_ORIGIN.rstrip("/") or request.build_absolute_uri("/")[:-1]
    )


def site_origin(request: Any) -> str:
    parts = urlsplit(request.build_absolute_uri("/"))
    return f"{parts.scheme}://{parts.netloc}"


def frame_ancestors(parent_origin: str) -> str:
    return f"frame-ancestors {parent_origin}"


def embed_context(*, request: Any, content: H5PContent) -> dict[str, Any]:
    """What the embedding page needs to show the player frame."""
    origin = content_origin(request)
    play = reverse("h5p:play", args=[content.uuid])
    token = player_token(
        user=request.user, content=content, parent_origin=site_origin(request)
    )
    return {
        "content": content,
        "player_src": f"{origin}{play}?t={token}",
        # h5p-standalone writes into an inner frame, which needs the frame to keep
        # an origin. Real isolation therefore comes from H5P_CONTENT_ORIGIN; on
        # the same origin the sandbox still blocks popups, forms and navigation.
        "sandbox": "allow-scripts allow-same-origin",
        "player_origin": origin,
        "xapi_url": reverse("h5p:xapi", args=[content.uuid]),
        "state_url": reverse("h5p:user_data", args=[content.uuid, "DATA_TYPE", "SUB"])
        .replace("DATA_TYPE", ":dataType")
        .replace("SUB", ":subContentId"),
    }


def player_config(
    *,
    request: Any,
    content: H5PContent,
    user: Any,
    saved_states: list[Any],
    token: str,
    parent_origin: str,
) -> dict[str, Any]:
    """The h5p-standalone options the frame starts with (rendered as JSON)."""
    files = reverse("h5p:file", args=["x"])[: -len("x")]
    states: dict[str, str] = {}
    for row in saved_states:
        if row.sub_content_id == "0":
            states[row.data_type] = row.data
    return {
        "contentId": content.uuid.hex,
        "h5pJsonPath": files + storage.content_path(content.uuid).removeprefix("h5p/"),
        "contentJsonPath": files
        + storage.content_path(content.uuid, "content").removeprefix("h5p/"),
        "librariesPath": files + "libraries",
        "frameJs": static("h5p-standalone/frame.bundle.js"),
        "frameCss": static("h5p-standalone/styles/h5p.css"),
        "objectIri": request.build_absolute_uri(
            reverse("h5p:embed", args=[content.uuid])
        ),
        "userName": user.full_name,
        "userMail": user.email,
        "saveFreq": 5,
        "contentUserData": [states] if states else [],
        "stateUrl": reverse(
            "h5p:player_user_data", args=[content.uuid, "DATA_TYPE", "SUB"]
        )
        .replace("DATA_TYPE", ":dataType")
        .replace("SUB", ":subContentId")
        + f"?t={token}",
        "parentOrigin": parent_origin,
    }
