"""The editor's workflow over JSON (/api/v1/articles...), token required, drafts included."""

from __future__ import annotations

from tests.connectors.test_api import validate

TOKEN = {"Authorization": "Bearer editor-token"}
NEW = {
    "fields": {
        "title": "Rotate the API token",
        "category": "howto",
        "questions": ["how do I rotate the api token"],
    },
    "body": "Set a new `TIER0_API_TOKEN` and restart the server.",
    "author": "script",
}


def test_the_token_is_required(web_app) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    assert client.get("/api/v1/articles").status_code == 401
    wrong = client.get("/api/v1/articles", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "unauthorized"


def test_create_review_publish_over_json(web_app, web_assistant) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    created = client.post("/api/v1/articles", json=NEW, headers=TOKEN)
    assert created.status_code == 201, created.get_json()
    validate(created.get_json(), "ArticleWithProblems")
    article = created.get_json()["article"]
    assert article["id"] == "rotate-the-api-token" and article["state"] == "draft"
    assert article["author"] == "api:script"
    assert article["markdown"].startswith("---\ntitle: Rotate the API token\n")
    drafts = client.get("/api/v1/articles?state=draft", headers=TOKEN).get_json()["articles"]
    assert [a["id"] for a in drafts] == ["rotate-the-api-token"]
    read = client.get("/api/v1/articles/rotate-the-api-token", headers=TOKEN).get_json()
    validate(read, "ArticleWithProblems")
    assert read["article"]["state"] == "draft" and read["problems"] == []
    early = client.post("/api/v1/articles/rotate-the-api-token/publish", headers=TOKEN)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "wrong_state"
    assert (
        client.post("/api/v1/articles/rotate-the-api-token/submit", headers=TOKEN).status_code
        == 200
    )
    published = client.post("/api/v1/articles/rotate-the-api-token/publish", headers=TOKEN)
    assert published.status_code == 200 and published.get_json()["article"]["state"] == "published"
    validate(published.get_json(), "ArticleOnly")
    hits = web_assistant.kb.search("how do I rotate the api token")
    assert hits[0].article_id == "rotate-the-api-token"


def test_edit_history_diff_and_revert(web_app, web_assistant) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    current = client.get("/api/v1/articles/install-windows", headers=TOKEN).get_json()["article"]
    assert current["state"] == "published" and current["version"] == 0
    changed = current["markdown"] + "\nOne more line.\n"
    saved = client.put(
        "/api/v1/articles/install-windows", json={"markdown": changed}, headers=TOKEN
    )
    assert saved.status_code == 200 and saved.get_json()["article"]["version"] == 2
    versions = client.get("/api/v1/articles/install-windows/versions", headers=TOKEN).get_json()
    assert [(v["version"], v["state"]) for v in versions["versions"]] == [
        (2, "draft"),
        (1, "published"),
    ]
    diff = client.get("/api/v1/articles/install-windows/diff?old=1&new=2", headers=TOKEN).get_json()
    assert "+One more line." in diff["diff"]
    reverted = client.post(
        "/api/v1/articles/install-windows/revert", json={"version": 1}, headers=TOKEN
    )
    assert reverted.get_json()["article"]["version"] == 3
    assert "One more line." not in reverted.get_json()["article"]["markdown"]


def test_bad_requests_get_precise_errors(web_app) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    cases = [
        (client.post("/api/v1/articles", data="x", headers=TOKEN), 415),
        (client.post("/api/v1/articles", json=[], headers=TOKEN), 400),
        (client.post("/api/v1/articles", json={"fields": "x", "body": 1}, headers=TOKEN), 400),
        (
            client.post("/api/v1/articles", json={"fields": {}, "body": "no title"}, headers=TOKEN),
            422,
        ),
        (
            client.post(
                "/api/v1/articles",
                json={"fields": {"title": "Install Windows", "id": "install-windows"}, "body": "x"},
                headers=TOKEN,
            ),
            422,
        ),
        (
            client.put(
                "/api/v1/articles/install-windows",
                json={"markdown": "---\ntitle: X\nid: other\n---\nx"},
                headers=TOKEN,
            ),
            422,
        ),
        (client.get("/api/v1/articles/no-such", headers=TOKEN), 404),
        (client.get("/api/v1/articles?state=bogus", headers=TOKEN), 400),
        (client.get("/api/v1/articles?limit=abc", headers=TOKEN), 400),
        (
            client.post(
                "/api/v1/articles/install-windows/revert", json={"version": "1"}, headers=TOKEN
            ),
            400,
        ),
        (
            client.post(
                "/api/v1/articles/install-windows/revert", json={"version": 99}, headers=TOKEN
            ),
            404,
        ),
        (client.get("/api/v1/articles/install-windows/diff?old=1", headers=TOKEN), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.path, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] and error["message"]


def test_preview_renders_and_lints_without_saving(web_app) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    response = client.post(
        "/api/v1/articles/preview",
        json={"markdown": "---\ntitle: T\nrelated: [ghost]\n---\n<script>alert(1)</script> *hi*"},
        headers=TOKEN,
    )
    data = response.get_json()
    assert "<script>" not in data["html"] and "<em>hi</em>" in data["html"]
    assert any("ghost" in p["message"] for p in data["problems"])
    assert client.get("/api/v1/articles?state=draft", headers=TOKEN).get_json()["articles"] == []


def test_the_agents_token_cannot_publish(web_app) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    agents = {"Authorization": "Bearer api-token"}
    assert client.post("/api/v1/articles", json=NEW, headers=agents).status_code == 401


def test_the_api_is_off_without_its_token(web_app, web_assistant) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    web_assistant.settings = replace(web_assistant.settings, editor_api_token="")
    response = web_app.test_client().get("/api/v1/articles", headers=TOKEN)
    assert (
        response.status_code == 403
        and "TIER0_EDITOR_API_TOKEN" in response.get_json()["error"]["message"]
    )


def test_an_api_author_cannot_pass_for_a_user(web_app) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    created = client.post("/api/v1/articles", json=NEW | {"author": "admin"}, headers=TOKEN)
    assert created.get_json()["article"]["author"] == "api:admin"
