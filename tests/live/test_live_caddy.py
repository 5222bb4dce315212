"""`python -m checkers web` against the SVS shape on loopback: Caddy (Debian's package, run by
hand) with avava-web's site template – files from the domain's root first, everything else to
the app on the domain's port – in front of gunicorn (or runserver) and the starter project."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers.live import Ports, check_web, message, not_passed
from tests.helpers.servers import SVS_SITE, start_caddy, start_gunicorn, start_runserver

DOMAIN = "kurz.svs.test"
PLACEHOLDER = """<!DOCTYPE html>
<html lang="en"><head><title>Výchozí stránka AVAVA</title><meta charset="UTF-8"></head>
<body><main><h1>Vaše stánka funguje :)</h1></main></body></html>
"""


@pytest.fixture(scope="module")
def cert(ca):
    return ca.issue("svs", DOMAIN)


@pytest.fixture
def caddy_root(tmp_path):
    """/var/caddy.root.d/DOMAIN as avava-web creates it: with the placeholder index.html."""
    root = tmp_path / "caddy.root.d" / DOMAIN
    root.mkdir(parents=True)
    (root / "index.html").write_text(PLACEHOLDER, encoding="utf-8")
    return root


def collect_into(site, caddy_root):
    static = site / "static"
    if static.exists():
        shutil.copytree(static, caddy_root / "static")


def deploy(servers, site, caddy_root, cert, *, runserver=False) -> Ports:
    ports = Ports()
    (start_runserver if runserver else start_gunicorn)(servers, site, ports.app)
    start_caddy(servers, SVS_SITE.format(domain=DOMAIN, cert=cert[0], key=cert[1], site_root=caddy_root,
                                         app_port=ports.app), http_port=ports.http, https_port=ports.https)
    return ports


@pytest.fixture(scope="module")
def collected_site(site_factory):
    return site_factory("svs", allowed_hosts=(DOMAIN,))


def test_correct_svs_deployment_passes(servers, collected_site, caddy_root, cert, ca, checkers_home):
    collect_into(collected_site, caddy_root)
    (caddy_root / "index.html").rename(caddy_root / "index.html.backup")
    ports = deploy(servers, collected_site, caddy_root, cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert, host=DOMAIN)
    assert result.rc == 0, not_passed(result)
    assert "Caddy" in message(result, "live.I002") and "gunicorn" in message(result, "live.I002")
    assert message(result, "live.E002").startswith("HTTP 308")  # Caddy's own redirect


def test_placeholder_index_html_shadows_django(servers, collected_site, caddy_root, cert, ca, checkers_home):
    collect_into(collected_site, caddy_root)
    ports = deploy(servers, collected_site, caddy_root, cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert, host=DOMAIN)
    assert result.rc == 1
    assert result.statuses()["live.E003"] == "failed"
    assert "Výchozí stránka AVAVA" in message(result, "live.E003")


def test_runserver_instead_of_gunicorn(servers, collected_site, caddy_root, cert, ca, checkers_home):
    collect_into(collected_site, caddy_root)
    (caddy_root / "index.html").unlink()
    ports = deploy(servers, collected_site, caddy_root, cert, runserver=True)
    result = check_web(checkers_home, ports, ca_file=ca.cert, host=DOMAIN)
    assert result.statuses()["live.E004"] == "failed"
    assert "WSGIServer" in message(result, "live.E004")
    # runserver ignores X-Forwarded-Proto: no HSTS and the admin login fails CSRF (SVS pitfall P5)
    assert result.statuses()["live.E011"] == "failed"


def test_project_copied_into_the_caddy_root_is_public(servers, collected_site, caddy_root, cert, ca, checkers_home):
    collect_into(collected_site, caddy_root)
    (caddy_root / "index.html").unlink()
    for name in ("manage.py", "requirements.txt", "db.sqlite3", "my_project"):
        source = collected_site / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, caddy_root / name)
    (caddy_root / ".env").write_text("SECRET_KEY=v-adresari-caddy\n")
    ports = deploy(servers, collected_site, caddy_root, cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert, host=DOMAIN)
    assert not_passed(result) == {"live.E012": "failed"}
    for path in ("/.env", "/manage.py", "/db.sqlite3", "/my_project/settings.py"):
        assert path in message(result, "live.E012")


def test_collectstatic_not_run_into_the_caddy_root(servers, collected_site, caddy_root, cert, ca, checkers_home):
    (caddy_root / "index.html").unlink()
    ports = deploy(servers, collected_site, caddy_root, cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert, host=DOMAIN)
    assert not_passed(result) == {"live.E007": "failed"}


def test_wrong_allowed_hosts_behind_caddy(servers, site_factory, caddy_root, cert, ca, checkers_home):
    site = site_factory("svs-wrong-host", allowed_hosts=("jiny.svs.test",))
    collect_into(site, caddy_root)
    (caddy_root / "index.html").unlink()
    ports = deploy(servers, site, caddy_root, cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert, host=DOMAIN)
    assert result.statuses()["live.E003"] == "failed"
    assert "400 Bad Request" in message(result, "live.E003")


def test_debug_on_behind_caddy(servers, site_factory, caddy_root, cert, ca, checkers_home):
    site = site_factory("svs-debug", allowed_hosts=(DOMAIN,), debug=True)
    collect_into(site, caddy_root)
    (caddy_root / "index.html").unlink()
    ports = deploy(servers, site, caddy_root, cert)
    result = check_web(checkers_home, ports, ca_file=ca.cert, host=DOMAIN)
    assert not_passed(result) == {"live.E005": "failed"}
