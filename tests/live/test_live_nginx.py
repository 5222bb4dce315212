"""`python -m checkers web` against nginx + gunicorn + the starter project on loopback, with TLS
from a private CA: the correct deployment passes, each broken one fails the right check."""

from __future__ import annotations

import json

import pytest

from tests.helpers.live import Ports, check_web, message, not_passed, saved_facts
from tests.helpers.servers import start_gunicorn, start_nginx

ALL_LIVE = {f"live.E{n:03d}" for n in range(1, 13)} | {"live.I001", "live.I002"}


def nginx_site(site, ports: Ports, cert, key, *, redirect=True, static=True, forwarded_proto=True,
               project_root=False, placeholder=False) -> str:
    """The lesson's nginx site plus TLS, with switches for the classic mistakes."""
    http = (f"server {{ listen 127.0.0.1:{ports.http}; server_name kurz.test; return 301 https://$host$request_uri; }}"
            if redirect else
            f"server {{ listen 127.0.0.1:{ports.http}; server_name kurz.test; "
            f"location / {{ proxy_pass http://127.0.0.1:{ports.app}; proxy_set_header Host $host; }} }}")
    proxy = (f"proxy_pass http://127.0.0.1:{ports.app}; proxy_set_header Host $host; "
             + ("proxy_set_header X-Forwarded-Proto $scheme;" if forwarded_proto else ""))
    if placeholder:
        locations = "root /usr/share/nginx/html; index index.html;"
    elif project_root:  # "root" on the project directory: every file of it is public
        locations = f"root {site}; location / {{ try_files $uri @app; }} location @app {{ {proxy} }}"
    else:
        locations = ((f"location /static/ {{ alias {site}/static/; }} " if static else "")
                     + f"location /media/ {{ alias {site}/media/; }} location / {{ {proxy} }}")
    return (http + "\n" + f"server {{ listen 127.0.0.1:{ports.https} ssl; server_name kurz.test; "
            f"ssl_certificate {cert}; ssl_certificate_key {key}; {locations} }}\n")


@pytest.fixture(scope="module")
def cert(ca):
    return ca.issue("kurz", "kurz.test")


def deploy(servers, site, cert, **switches) -> Ports:
    ports = Ports()
    start_gunicorn(servers, site, ports.app)
    start_nginx(servers, nginx_site(site, ports, *cert, **switches), (ports.http, ports.https))
    return ports


def test_correct_deployment_passes_every_live_check(servers, site_factory, cert, ca, checkers_home):
    ports = deploy(servers, site_factory("good"), cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert)
    assert result.rc == 0, not_passed(result)
    assert {c["id"] for c in result.json["checks"]} == ALL_LIVE
    assert "HTTP 301 → https://kurz.test/" in message(result, "live.E002")
    assert "/static/galerie/styl.css → text/css" in message(result, "live.E007")
    facts = json.loads(saved_facts(checkers_home))
    assert 10 <= facts["live"]["requests"] <= 30  # a few dozen at most
    assert facts["live"]["admin_login"]["post"]["status"] == 200
    # No cookie value, CSRF token or raw header is ever saved; only flags.
    everything = saved_facts(checkers_home) + result.stdout
    assert "Set-Cookie" not in everything and "csrftoken=" not in everything
    assert facts["live"]["home"]["cookies"] == [{"name": "csrftoken", "secure": True, "httponly": False,
                                                 "samesite": "Lax"}]


def test_debug_on_shows_the_debug_404(servers, site_factory, cert, ca, checkers_home):
    ports = deploy(servers, site_factory("debug", debug=True), cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert)
    assert result.rc == 1
    assert not_passed(result) == {"live.E005": "failed"}
    assert "DEBUG je zapnutý" in message(result, "live.E005")


def test_domain_missing_from_allowed_hosts(servers, site_factory, cert, ca, checkers_home):
    ports = deploy(servers, site_factory("other-host", allowed_hosts=("example.org",)), cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert)
    assert result.rc == 1
    assert result.statuses()["live.E003"] == "failed"
    assert "ALLOWED_HOSTS" in message(result, "live.E003")
    assert result.statuses()["live.E005"] == "skipped"  # one root cause, one red line


def test_wildcard_allowed_hosts_answers_a_foreign_host(servers, site_factory, cert, ca, checkers_home):
    ports = deploy(servers, site_factory("wildcard", allowed_hosts=("*",)), cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert)
    assert not_passed(result) == {"live.E006": "failed"}
    assert "neplatny-host.invalid" in message(result, "live.E006")


def test_static_files_not_collected(servers, site_factory, cert, ca, checkers_home):
    ports = deploy(servers, site_factory("no-collectstatic", collect=False), cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert)
    assert not_passed(result) == {"live.E007": "failed"}
    assert "HTTP 404" in message(result, "live.E007")


def test_nginx_welcome_page_instead_of_the_app(servers, site_factory, cert, ca, checkers_home):
    ports = deploy(servers, site_factory("good"), cert, placeholder=True)
    result = check_web(checkers_home, ports, ca_file=ca.cert)
    assert result.rc == 1
    assert result.statuses()["live.E003"] == "failed"
    assert "Welcome to nginx!" in message(result, "live.E003")


def test_project_directory_as_web_root_exposes_secrets(servers, site_factory, cert, ca, checkers_home):
    site = site_factory("exposed")
    (site / ".env").write_text("SECRET_KEY=tajny-klic-z-env\nDATABASE_URL=postgres://u:heslo@db/x\n")
    ports = deploy(servers, site, cert, project_root=True)
    result = check_web(checkers_home, ports, ca_file=ca.cert)
    assert not_passed(result) == {"live.E012": "failed"}
    leaked = message(result, "live.E012")
    for path in ("/.env", "/manage.py", "/db.sqlite3", "/requirements.txt", "/my_project/settings.py"):
        assert path in leaked
    assert "tajny-klic-z-env" not in saved_facts(checkers_home) + result.stdout  # nothing of the body is kept


def test_plain_http_no_hsts_and_insecure_cookies(servers, site_factory, cert, ca, checkers_home):
    ports = deploy(servers, site_factory("insecure", secure=False), cert, redirect=False)
    result = check_web(checkers_home, ports, ca_file=ca.cert)
    assert not_passed(result) == {"live.E002": "failed", "live.E009": "failed", "live.E010": "failed",
                                  "live.I001": "skipped"}
    assert "bez šifrování" in message(result, "live.E002")
    assert "csrftoken bez Secure" in message(result, "live.E010")


def test_proxy_without_forwarded_proto_breaks_csrf(servers, site_factory, cert, ca, checkers_home):
    ports = deploy(servers, site_factory("good"), cert, forwarded_proto=False)
    result = check_web(checkers_home, ports, ca_file=ca.cert)
    failed = not_passed(result)
    assert failed.pop("live.E011") == "failed"
    assert "CSRF" in message(result, "live.E011")
    # Django does not see HTTPS, so it does not send HSTS either: also a real consequence.
    assert set(failed) <= {"live.E009", "live.I001"}


def test_unreachable_untrusted_and_wrong_certificate_cannot_be_checked(servers, site_factory, ca, checkers_home):
    ports = Ports()
    refused = check_web(checkers_home, ports, ca_file=ca.cert)
    assert refused.rc == 2 and "nikdo nepřijímá spojení" in refused.json["error"]["message"]

    other_cert = ca.issue("jiny", "jiny.test")
    live = deploy(servers, site_factory("good"), other_cert)
    wrong_name = check_web(checkers_home, live, ca_file=ca.cert)
    assert wrong_name.rc == 2
    assert "Certifikát webu kurz.test nejde ověřit" in wrong_name.json["error"]["message"]

    untrusted = check_web(checkers_home, live)  # the private CA is not given
    assert untrusted.rc == 2 and "--ca-file" in untrusted.json["error"]["hint"]

    bad_name = check_web(checkers_home, live, url="https://" + "a" * 64 + ".test/")
    assert bad_name.rc == 2 and "DNS" in bad_name.json["error"]["message"]
    assert "Traceback" not in refused.stderr + wrong_name.stderr + untrusted.stderr + bad_name.stderr


def test_saved_live_facts_regrade_without_network(servers, site_factory, cert, ca, checkers_home, tmp_path):
    ports = deploy(servers, site_factory("debug", debug=True), cert)
    saved = tmp_path / "web-facts.json"
    first = check_web(checkers_home, ports, "--save-facts", str(saved), ca_file=ca.cert)
    servers.stop_all()  # the site is gone; the teacher regrades from the file
    again = check_web(checkers_home, ports, "--facts", str(saved))
    assert again.rc == first.rc == 1
    assert again.statuses() == first.statuses()
