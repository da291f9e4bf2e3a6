"""The KB editor at /admin, through its real pages: sign-in, roles, CSRF, lock-out,
the draft → review → publish workflow, history, diffs and revert; publishing
updates the search index at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.accounts import FAILED, MAX_FAILURES
from connectors.web.editor import form_from_text
from tests.web.conftest import csrf_of, sign_in

ARTICLE_ID = "reset-the-frobnicator"


def _form(client, path: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"csrf_token": csrf_of(client.get(path).get_data(as_text=True))}


def _new_article(client, body: str = "Hold the reset button for ten seconds.") -> str:  # type: ignore[no-untyped-def]
    data = _form(client, "/admin/articles/new") | {
        "title": "Reset the frobnicator",
        "category": "howto",
        "tags": "frobnicator, reset",
        "questions": "how do I reset the frobnicator\nfrobnicator is stuck",
        "body": body,
    }
    response = client.post("/admin/articles/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _act(client, action: str, article_id: str = ARTICLE_ID):  # type: ignore[no-untyped-def]
    data = _form(client, f"/admin/articles/{article_id}")
    return client.post(f"/admin/articles/{article_id}/{action}", data=data)


def test_pages_need_a_signed_in_user(web_app) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    for path in ("/admin/articles", "/admin/insights", "/agent", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login?next=")


def test_sign_in_sets_a_protected_cookie_and_sign_out_ends_it(web_app) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    response = sign_in(client, "editor")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/articles"
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("tier0_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/admin/articles")
    assert page.status_code == 200 and "Editor Person" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    client.post("/admin/logout", data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert client.get("/admin/articles").status_code == 302


def test_secure_cookie_unless_plain_http_on_loopback(web_app) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    page = client.get("/admin/login", base_url="http://support.example.com")
    response = client.post(
        "/admin/login",
        base_url="http://support.example.com",
        data={
            "username": "editor",
            "password": "editor-password-1",
            "csrf_token": csrf_of(page.get_data(as_text=True)),
        },
    )
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("tier0_session=")
    )
    assert "Secure" in cookie


def test_secure_cookie_behind_a_tls_proxy_on_loopback(web_app) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    page = client.get("/admin/login")
    proxied = {"X-Forwarded-Proto": "https"}
    response = client.post(
        "/admin/login",
        headers=proxied,
        data={
            "username": "editor",
            "password": "editor-password-1",
            "csrf_token": csrf_of(page.get_data(as_text=True)),
        },
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert "Secure" in next(c for c in cookies if c.startswith("tier0_session="))


def test_wrong_password_unknown_user_and_lock_read_the_same(web_app) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    wrong = sign_in(client, "editor", "not-the-password")
    unknown = sign_in(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert FAILED.split(",")[0] in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True) == unknown.get_data(as_text=True).replace(
        "nobody", "editor"
    )


def test_ten_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = web_app.test_client()
    for _ in range(MAX_FAILURES):
        assert sign_in(client, "agent", "guess-guess-guess").status_code == 401
    # The right password is refused too while the lock lasts, with the same message.
    right = sign_in(client, "agent")
    assert right.status_code == 401 and "locked" in right.get_data(as_text=True)
    # Another account is not affected; case and spaces do not make another account.
    assert sign_in(client, "editor").status_code == 302
    assert sign_in(web_app.test_client(), "  AGENT ", "agent-password-1").status_code == 401
    admin = signed_in("admin")
    users = admin.get("/admin/users").get_data(as_text=True)
    assert "locked until" in users
    unlocked = admin.post("/admin/users/agent/unlock", data={"csrf_token": csrf_of(users)})
    assert unlocked.status_code == 302
    assert sign_in(web_app.test_client(), "agent").status_code == 302


def test_the_lock_out_holds_under_concurrent_guesses(web_assistant) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from bot.accounts import sign_in as check

    now = datetime.now(UTC)
    with ThreadPoolExecutor(6) as pool:
        results = list(
            pool.map(lambda _: check(web_assistant.store, "agent", "guess-guess", now), range(24))
        )
    assert all(r.user is None for r in results)
    assert check(web_assistant.store, "agent", "agent-password-1", now).user is None  # locked


def test_forms_without_the_csrf_token_are_refused(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    anonymous = web_app.test_client()
    login = anonymous.post(
        "/admin/login", data={"username": "editor", "password": "editor-password-1"}
    )
    assert login.status_code == 400
    editor = signed_in("editor")
    refused = editor.post("/admin/articles/new", data={"title": "X", "body": "y"})
    assert refused.status_code == 400
    forged = editor.post(
        "/admin/articles/new", data={"title": "X", "body": "y", "csrf_token": "forged"}
    )
    assert forged.status_code == 400
    assert editor.post("/admin/logout").status_code == 400
    assert (
        editor.get("/admin/articles?state=draft").get_data(as_text=True).count("<tr>") == 2
    )  # header + "none"


def test_roles_keep_to_their_pages(signed_in) -> None:  # type: ignore[no-untyped-def]
    editor = signed_in("editor")
    assert editor.get("/admin/users").status_code == 403
    assert editor.get("/agent").status_code == 403
    assert editor.get("/admin/insights").status_code == 200
    agent = signed_in("agent")
    assert agent.get("/admin/articles").status_code == 403
    assert agent.get("/admin/users").status_code == 403
    assert agent.get("/agent").status_code == 200
    admin = signed_in("admin")
    for path in ("/admin/users", "/admin/articles", "/agent", "/admin/insights"):
        assert admin.get(path).status_code == 200, path


def test_admin_adds_a_user_with_checked_fields(signed_in, web_app) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    data = _form(admin, "/admin/users") | {
        "username": "newbie",
        "role": "editor",
        "password": "short",
    }
    refused = admin.post("/admin/users", data=data)
    assert refused.status_code == 422 and "at least 10 characters" in refused.get_data(as_text=True)
    data["password"] = "long-enough-password"
    assert admin.post("/admin/users", data=data).status_code == 302
    assert sign_in(web_app.test_client(), "newbie", "long-enough-password").status_code == 302


def test_draft_review_publish_and_the_bot_answers_with_it(signed_in, web_assistant) -> None:  # type: ignore[no-untyped-def]
    editor = signed_in("editor")
    location = _new_article(editor)
    assert location == f"/admin/articles/{ARTICLE_ID}?done=saved"
    assert web_assistant.kb.get(ARTICLE_ID) is None  # a draft is not live
    page = editor.get(location).get_data(as_text=True)
    assert "Draft saved." in page and "Submit for review" in page
    assert _act(editor, "publish").status_code == 409  # a draft must be reviewed first
    assert _act(editor, "submit").status_code == 302
    assert _act(editor, "publish").status_code == 302
    article = web_assistant.kb.get(ARTICLE_ID)
    assert article is not None and "ten seconds" in article.body
    hits = web_assistant.kb.search("how do I reset the frobnicator")
    assert hits and hits[0].article_id == ARTICLE_ID
    assert (
        (web_assistant.settings.kb_dir / f"{ARTICLE_ID}.md").read_text().startswith("---\ntitle:")
    )


def test_editing_a_published_article_changes_it_only_when_published(
    signed_in, web_assistant
) -> None:  # type: ignore[no-untyped-def]
    editor = signed_in("editor")
    target = "install-windows"
    original = web_assistant.kb.get(target)
    assert original is not None
    page = editor.get(f"/admin/articles/{target}").get_data(as_text=True)
    body = re.search(r'<textarea id="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert body is not None
    # The form as the page fills it in (every field), the body with one more line.
    form = form_from_text(original.path.read_text(encoding="utf-8"))
    form |= {
        "csrf_token": csrf_of(page),
        "body": form["body"] + "\n\nZebra-striped tip: reboot twice.",
    }
    del form["id"]
    assert editor.post(f"/admin/articles/{target}", data=form).status_code == 302
    assert "Zebra-striped" not in web_assistant.kb.get(target).body
    _act(editor, "submit", target)
    assert _act(editor, "publish", target).status_code == 302
    assert "Zebra-striped" in web_assistant.kb.get(target).body
    history = editor.get(f"/admin/articles/{target}/history").get_data(as_text=True)
    assert "kb-files" in history and "editor" in history  # the file's text is version 1
    diff = editor.get(f"/admin/articles/{target}/diff?old=1&new=2").get_data(as_text=True)
    assert 'class="added">+Zebra-striped tip: reboot twice.' in diff
    changed = re.findall(r'class="(added|removed)">', diff)
    # The tip, its blank line, and `updated:` set on publishing: nothing else.
    assert len(changed) == 4, "a body edit must leave the front matter as written"
    today = datetime.now(UTC).date().isoformat()
    assert f"updated: {today}" in (web_assistant.settings.kb_dir / "install-windows.md").read_text()
    revert = editor.post(
        f"/admin/articles/{target}/revert", data={"csrf_token": csrf_of(history), "version": "1"}
    )
    assert revert.status_code == 302 and "done=reverted" in revert.headers["Location"]
    _act(editor, "submit", target)
    _act(editor, "publish", target)
    assert "Zebra-striped" not in web_assistant.kb.get(target).body


def test_publishing_is_refused_while_the_linter_finds_errors(signed_in, web_assistant) -> None:  # type: ignore[no-untyped-def]
    editor = signed_in("editor")
    _new_article(editor, body="See [the missing page](no-such-article.md).")
    _act(editor, "submit")
    refused = _act(editor, "publish")
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "broken link: no article with id" in text and "no-such-article" in text
    assert web_assistant.kb.get(ARTICLE_ID) is None


def test_preview_is_the_page_users_see_sanitised(signed_in) -> None:  # type: ignore[no-untyped-def]
    editor = signed_in("editor")
    token = csrf_of(editor.get("/admin/articles/new").get_data(as_text=True))
    response = editor.post(
        "/admin/preview",
        data={
            "title": "T",
            "body": "**bold** <img src=x onerror=alert(1)> [x](javascript:alert(1))",
            "related": "nope",
        },
        headers={"X-CSRF-Token": token},
    )
    data = response.get_json()
    assert "<strong>bold</strong>" in data["html"]
    assert "<img" not in data["html"] and 'href="javascript' not in data["html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in data["html"]
    assert any("unknown article 'nope'" in p["message"] for p in data["problems"])
    assert editor.post("/admin/preview", data={"title": "T", "body": "x"}).status_code == 400


def test_article_list_searches_and_filters(signed_in) -> None:  # type: ignore[no-untyped-def]
    editor = signed_in("editor")
    _new_article(editor)
    drafts = editor.get("/admin/articles?state=draft").get_data(as_text=True)
    assert "Reset the frobnicator" in drafts and "install-windows" not in drafts
    found = editor.get("/admin/articles?q=install+windows").get_data(as_text=True)
    assert "install-windows" in found and "Reset the frobnicator" not in found
    faq = editor.get("/admin/articles?category=faq").get_data(as_text=True)
    assert "faq-what-is-tier0" in faq and "install-windows" not in faq


def test_every_page_sends_the_security_headers(web_app, signed_in) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    anonymous = web_app.test_client()
    responses = [anonymous.get(p) for p in ("/admin/login", "/demo", "/kb/install-windows", "/")]
    responses += [admin.get(p) for p in ("/admin/articles", "/admin/insights", "/agent")]
    for response in responses:
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in admin.get("/admin/articles/new").get_data(as_text=True)


def test_two_editors_at_once_do_not_overwrite_each_other(signed_in, web_app) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import PASSWORDS

    eddie = signed_in("editor")
    admin = signed_in("admin")
    target = "faq-offline"
    pages = [c.get(f"/admin/articles/{target}").get_data(as_text=True) for c in (eddie, admin)]
    forms = []
    for page in pages:
        body = re.search(r'<textarea id="body"[^>]*>(.*?)</textarea>', page, re.S)
        title = re.search(r'id="title" name="title" required value="([^"]*)"', page)
        seen = re.search(r'name="base_version" value="(\d+)"', page)
        assert body and title and seen
        forms.append(
            {
                "csrf_token": csrf_of(page),
                "title": title.group(1),
                "body": body.group(1),
                "base_version": seen.group(1),
            }
        )
    forms[0]["body"] += "\n\nEddie's line."
    forms[1]["body"] += "\n\nThe admin's line."
    assert eddie.post(f"/admin/articles/{target}", data=forms[0]).status_code == 302
    clash = admin.post(f"/admin/articles/{target}", data=forms[1])
    text = clash.get_data(as_text=True)
    assert clash.status_code == 409 and "editor saved version" in text
    assert "The admin&#39;s line." in text  # nothing typed is lost
    again = dict(
        forms[1], base_version=re.search(r'name="base_version" value="(\d+)"', text).group(1)
    )
    assert admin.post(f"/admin/articles/{target}", data=again).status_code == 302
    assert PASSWORDS  # the fixture's accounts


def test_archive_takes_an_article_down_and_restore_brings_it_back(signed_in, web_assistant) -> None:  # type: ignore[no-untyped-def]
    editor = signed_in("editor")
    target = "faq-offline"
    assert web_assistant.kb.get(target) is not None
    archived = _act(editor, "archive", target)
    assert archived.status_code == 302 and "done=archived" in archived.headers["Location"]
    assert web_assistant.kb.get(target) is None
    assert not (web_assistant.settings.kb_dir / "faq-offline.md").exists()
    listed = editor.get("/admin/articles?state=archived").get_data(as_text=True)
    assert target in listed
    history = editor.get(f"/admin/articles/{target}/history").get_data(as_text=True)
    assert "archived" in history
    restore = editor.post(
        f"/admin/articles/{target}/revert", data={"csrf_token": csrf_of(history), "version": "1"}
    )
    assert restore.status_code == 302
    _act(editor, "submit", target)
    assert _act(editor, "publish", target).status_code == 302
    assert web_assistant.kb.get(target) is not None


def test_the_template_text_cannot_be_published(signed_in, web_assistant) -> None:  # type: ignore[no-untyped-def]
    editor = signed_in("editor")
    page = editor.get("/admin/articles/new?question=can+tier0+talk+to+salesforce").get_data(
        as_text=True
    )
    assert "Can tier0 talk to salesforce" in page and "Write the answer here." in page
    data = {"csrf_token": csrf_of(page), "title": "Salesforce", "body": "Write the answer here."}
    assert editor.post("/admin/articles/new", data=data).status_code == 302
    _act(editor, "submit", "salesforce")
    refused = _act(editor, "publish", "salesforce")
    assert refused.status_code == 409 and "still the template text" in refused.get_data(
        as_text=True
    )


def test_problems_name_the_field_or_body_line_the_editor_sees(signed_in) -> None:  # type: ignore[no-untyped-def]
    editor = signed_in("editor")
    token = csrf_of(editor.get("/admin/articles/new").get_data(as_text=True))
    response = editor.post(
        "/admin/preview",
        data={"title": "T", "related": "ghost", "body": "First line.\n\nSee [x](nowhere.md)."},
        headers={"X-CSRF-Token": token},
    )
    where = {p["message"].split(":")[0]: p["where"] for p in response.get_json()["problems"]}
    assert where["broken link"] == "body, line 3"
    assert where["'related' names unknown article 'ghost'"] == "front matter, 'related'"
