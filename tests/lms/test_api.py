"""App sign-in through allauth's headless API, our /api/v1/, and rate limits."""

import json

import pytest

from tests.factories import totp_enrol

LOGIN = "/_allauth/app/v1/auth/login"


def app_login(client, email, password):
    return client.post(
        LOGIN,
        data=json.dumps({"email": email, "password": password}),
        content_type="application/json",
    )


def test_app_signs_in_and_uses_the_session_token(client, db, demo_password):
    response = app_login(client, "peserta1.r3@lms.example", demo_password)
    assert response.status_code == 200
    token = response.json()["meta"]["session_token"]
    client.cookies.clear()  # the app has no cookies, only the token
    me = client.get("/api/v1/me", headers={"X-Session-Token": token})
    assert me.status_code == 200
    data = me.json()
    assert data["email"] == "peserta1.r3@lms.example"
    assert data["memberships"] == [
        {
            "organisation_code": "R3",
            "organisation": "BBPPKS Regional III",
            "role": "trainee",
        }
    ]
    assert "nik" not in json.dumps(data).lower()


def test_api_refuses_anonymous_and_bad_tokens(client, db):
    assert client.get("/api/v1/me").status_code == 401
    assert (
        client.get("/api/v1/me", headers={"X-Session-Token": "nope"}).status_code == 401
    )


def test_centres_are_public_with_their_coverage(client, db):
    centres = client.get("/api/v1/centres").json()
    assert [c["code"] for c in centres] == ["R1", "R2", "R3", "R4", "R5", "R6"]
    r6 = centres[-1]
    assert r6["time_zone"] == "WIT" and {"81", "82", "91", "96"} <= set(r6["provinces"])


def test_openapi_schema_and_docs_are_served(client, db):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/me" in schema.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_staff_with_totp_must_pass_the_second_factor_in_the_app(
    client, user_by_email, demo_password
):
    totp_enrol(user_by_email("pelatih.r2@lms.example"))
    response = app_login(client, "pelatih.r2@lms.example", demo_password)
    assert response.status_code == 401
    body = response.json()
    assert body["meta"]["is_authenticated"] is False
    assert any(
        f["id"] == "mfa_authenticate" and f.get("is_pending")
        for f in body["data"]["flows"]
    )


@pytest.mark.parametrize("path", ["app", "web"])
def test_failed_logins_are_rate_limited_on_every_path(client, path, db):
    email = "peserta2.r4@lms.example"
    messages = []
    for _attempt in range(6):
        if path == "app":
            response = app_login(client, email, "salah-sandi")
            messages.append(response.json()["errors"][0]["code"])
        else:
            response = client.post(
                "/accounts/login/", {"login": email, "password": "salah-sandi"}
            )
            body = response.content.decode()
            messages.append("too_many" if "Terlalu banyak" in body else "mismatch")
    assert messages[-1] in {"too_many_login_attempts", "too_many"}
    assert messages[0] not in {"too_many_login_attempts", "too_many"}


def test_wagtail_admin_login_takes_no_credentials(client, demo_password, db):
    """The admin's own login form is gone: it redirects to allauth's, unused."""
    response = client.post(
        "/admin/login/",
        {"username": "pelatih.r3@lms.example", "password": demo_password},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
