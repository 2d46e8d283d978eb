"""HTTP endpoints the H5P player talks to: xAPI statements and saved state.

Both are session-authenticated and CSRF-protected (the player page sends the
token in the X-CSRFToken header); another person's state is never reachable
because every lookup is keyed by the signed-in user.
"""

from __future__ import annotations

import json
import mimetypes

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from courses.h5p import player, selectors, services, storage
from courses.h5p.models import H5PContent
from lms.exports import csv_response, export_logged

MAX_STATEMENTS_PER_POST = 200


@login_required
@require_POST
def xapi_statements(request: HttpRequest, content_uuid: str) -> JsonResponse:
    """Accept one statement or a list (the player batches them on weak networks).

    Queries: Django loads the session and the user (two, for every signed-in
    request). The content's import-time facts come from a per-process cache
    (`selectors.content_get_for_intake`), and whether this person may post for
    it is checked inside the first statement's insert, so a statement costs one
    query of its own (two for a composite's closing statement, which reads its
    children's answers first). A batch pays the session and user once. A
    request that stores nothing checks access on its own first (one more
    query), so content the person may not play answers 404 whatever the body,
    as before, and a refusal never tells that a content exists.
    """
    content = selectors.content_get_for_intake(content_uuid=content_uuid)
    allowed = False  # whether an insert in this request has passed the check

    def answer(body: dict, status: int) -> JsonResponse:
        if not allowed:
            selectors.content_get_for_player(
                user=request.user, content_uuid=content_uuid
            )
        return JsonResponse(body, status=status)

    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return answer({"errors": [_("The body is not valid JSON.")]}, status=400)
    statements = body if isinstance(body, list) else [body]
    if len(statements) > MAX_STATEMENTS_PER_POST:
        return answer(
            {
                "errors": [
                    _("Send at most %(n)d statements at once.")
                    % {"n": MAX_STATEMENTS_PER_POST}
                ]
            },
            status=413,
        )
    results = []
    errors = {}
    for index, statement in enumerate(statements):
        try:
            outcome = services.xapi_statement_record(
                user=request.user,
                content=content,
                statement=statement,
                # Checked once per request: the first insert that gets through.
                check_access=not allowed,
            )
        except services.ContentNotPlayable:
            raise Http404 from None
        except ValidationError as exc:
            errors[index] = exc.messages
            continue
        allowed = True
        results.append(
            {
                "id": str(outcome.statement.statement_id),
                "stored": outcome.created,
                "attempt": None
                if outcome.attempt is None
                else {
                    "raw": float(outcome.attempt.raw),
                    "max": float(outcome.attempt.max),
                    "verified": outcome.attempt.verified,
                    "flagged": outcome.attempt.flagged,
                },
            }
        )
    status = 400 if errors and not results else 200
    return answer({"results": results, "errors": errors}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def content_user_data(
    request: HttpRequest, content_uuid: str, data_type: str, sub_content_id: str
) -> JsonResponse:
    """H5P's contentUserData protocol for the signed-in person (session + CSRF)."""
    content = selectors.content_get_for_player(
        user=request.user, content_uuid=content_uuid
    )
    return _user_data_response(
        request, request.user, content, data_type, sub_content_id
    )


@csrf_exempt  # not cookie-authenticated: see the docstring
@require_http_methods(["GET", "POST"])
def player_user_data(
    request: HttpRequest, content_uuid: str, data_type: str, sub_content_id: str
) -> JsonResponse:
    """The same protocol for the player frame, which has no session.

    The frame proves who plays with its signed token (in the URL, never in a
    cookie, so no other site can make a browser send it) and must send the
    `X-Requested-With` header that jQuery adds and a cross-site form cannot:
    together they do what the CSRF check does for cookie-authenticated views.
    """
    content = get_object_or_404(H5PContent, uuid=content_uuid)
    user, _grant = _token_user(request, content)
    # The token proves who plays; whether they still may play is decided again.
    selectors.content_get_for_player(user=user, content_uuid=content.uuid)
    if request.headers.get("X-Requested-With") != "XMLHttpRequest":
        return JsonResponse({"success": False}, status=403)
    return _user_data_response(request, user, content, data_type, sub_content_id)


def _token_user(request: HttpRequest, content: H5PContent):
    """The active user the frame's token names, and the grant itself (else 404)."""
    grant = player.player_grant(token=request.GET.get("t", ""), content=content)
    user = (
        get_user_model().objects.filter(pk=grant.user_id, is_active=True).first()
        if grant
        else None
    )
    if user is None:
        raise Http404
    return user, grant


def _user_data_response(request, user, content, data_type, sub_content_id):
    """GET returns the saved state; POST saves it (H5P's fields: data, preload,
    invalidate; data "0" deletes)."""
    if request.method == "GET":
        row = (
            selectors.user_data_list(user=user, content=content)
            .filter(data_type=data_type, sub_content_id=sub_content_id or "0")
            .first()
        )
        return JsonResponse({"success": True, "data": row.data if row else False})
    if "data" not in request.POST:
        return JsonResponse(
            {"success": False, "message": _("No data sent.")}, status=400
        )
    services.user_data_save(
        user=user,
        content=content,
        data_type=data_type,
        sub_content_id=sub_content_id,
        data=request.POST["data"],
        preload=request.POST.get("preload") == "1",
        invalidate=request.POST.get("invalidate") == "1",
    )
    return JsonResponse({"success": True})


@login_required
def embed(request: HttpRequest, content_uuid: str) -> HttpResponse:
    """A page that shows one content in the isolated player frame."""
    content = selectors.content_get_for_player(
        user=request.user, content_uuid=content_uuid
    )
    return render(
        request,
        "h5p/embed.html",
        player.embed_context(request=request, content=content),
    )


@xframe_options_exempt
def play(request: HttpRequest, content_uuid: str) -> HttpResponse:
    """The player frame. Authenticated by its signed token, never by the session."""
    content = get_object_or_404(H5PContent, uuid=content_uuid)
    user, grant = _token_user(request, content)
    # The token proves who plays; whether they may play is the selector's call.
    content = selectors.content_get_for_player(user=user, content_uuid=content.uuid)
    config = player.player_config(
        request=request,
        content=content,
        user=user,
        saved_states=list(selectors.user_data_list(user=user, content=content)),
        token=request.GET.get("t", ""),
        parent_origin=grant.parent_origin,
    )
    response = render(
        request, "h5p/player.html", {"config": config, "content": content}
    )
    response["Content-Security-Policy"] = (
        f"{player.CONTENT_SECURITY_POLICY}; "
        f"{player.frame_ancestors(grant.parent_origin)}"
    )
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def file(request: HttpRequest, name: str) -> FileResponse:
    """Library and content files, from storage, for the player frame.

    Public by design: libraries are code anyone may read, and a content's files
    are reachable only through its unguessable id. Served with CORS `*` so the
    sandboxed frame (an opaque origin) can fetch JSON, and with `nosniff`.
    """
    if ".." in name.split("/") or name.startswith("/"):
        raise Http404
    path = f"{storage.ROOT}/{name}"
    try:
        handle = storage.open_file(path)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    content_type, _encoding = mimetypes.guess_type(name)
    response = FileResponse(
        handle, content_type=content_type or "application/octet-stream"
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=300"
    # An SVG or HTML file opened directly must not run script on our origin.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    return response


@login_required
def staff_results(request: HttpRequest, content_uuid: str) -> HttpResponse:
    """Trainer view: each trainee's attempts on one content of their centre.

    `?format=csv` downloads the same rows, logged as an export, with
    formula-looking cells neutralised (`lms.exports.csv_response`).
    """
    content = selectors.content_get_for_staff(
        user=request.user, content_uuid=content_uuid
    )
    rows = selectors.attempt_summary_for_content(content=content)
    if request.GET.get("format") == "csv":
        # Trainees' names and e-mails leave the system: logged before sending.
        export_logged(
            user=request.user,
            name="h5p_results",
            file_format="csv",
            parameters={"content": str(content.uuid), "centre": content.centre.code},
        )
        return csv_response(
            filename=f"h5p-{content.uuid}.csv",
            header=[
                _("Name"),
                _("E-mail"),
                _("Attempts"),
                _("Best score"),
                _("Max"),
                _("Verified"),
                _("Flagged"),
                _("Last attempt"),
            ],
            rows=(
                [
                    r["user__full_name"],
                    r["user__email"],
                    r["attempts"],
                    r["best_raw"],
                    r["max"],
                    r["verified"],
                    r["flagged"],
                    r["last_at"].isoformat(),
                ]
                for r in rows.iterator()
            ),
        )
    return render(request, "h5p/staff_results.html", {"content": content, "rows": rows})


class UploadForm(forms.Form):
    """An .h5p file for one of the uploader's centres."""

    file = forms.FileField(label=_("H5P package (.h5p)"))
    centre = forms.ModelChoiceField(label=_("Centre"), queryset=None)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = selectors.centre_list_for_uploader(user=user)


@login_required
def staff_upload(request: HttpRequest) -> HttpResponse:
    """Upload a package; every reason for a refusal is shown at once."""
    if not selectors.centre_list_for_uploader(user=request.user).exists():
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.content_import(
                source=form.cleaned_data["file"],
                centre=form.cleaned_data["centre"],
                user=request.user,
                can_install_libraries=request.user.has_perm("h5p.install_h5plibrary"),
            )
        except ValidationError as exc:
            problems = exc.messages
        else:
            for folder in result.kept:
                messages.warning(
                    request,
                    _(
                        "%(folder)s is already installed with other files; the "
                        "installed version is kept."
                    )
                    % {"folder": folder},
                )
            messages.success(
                request, _("Imported: %(title)s") % {"title": result.content.title}
            )
            return redirect("h5p_staff:results", content_uuid=result.content.uuid)
    return render(
        request, "h5p/staff_upload.html", {"form": form, "problems": problems}
    )


@login_required
@require_POST
def staff_delete(request: HttpRequest, content_uuid: str) -> HttpResponse:
    """Delete a content of the person's centre, unless something uses it."""
    content = selectors.content_get_for_staff(
        user=request.user, content_uuid=content_uuid
    )
    try:
        services.content_delete(content=content)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        return redirect("h5p_staff:results", content_uuid=content.uuid)
    messages.success(request, _("Deleted: %(title)s") % {"title": content.title})
    return redirect("h5p_staff:upload")
