"""Settings come from the environment, with defaults that are safe to start from."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from capital.public_address import why_not_public_https

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    code = (
        "import config.settings as s; db = s.DATABASES['default']; "
        "print(s.DEBUG, s.TIME_ZONE, s.DEFAULT_CURRENCY, db['ENGINE'], db['NAME'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_defaults_are_development_on_a_sqlite_file_in_the_project_folder():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    debug, zone, currency, engine, name = result.stdout.split()
    assert (debug, zone, currency, engine) == ("True", "Europe/London", "GBP", "django.db.backends.sqlite3")
    assert name == str(ROOT / "db.sqlite3")


def test_refuses_to_start_without_debug_on_the_development_secret_key():
    result = load_settings(DEBUG="false")
    assert result.returncode != 0
    assert "Set SECRET_KEY to a long random value" in result.stderr


def test_starts_without_debug_when_given_a_secret_key_and_reads_database_url():
    result = load_settings(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        FIELD_ENCRYPTION_KEYS="y" * 40,
        SITE_URL="https://shares.example.coop",
        DATABASE_URL="postgres://u@db.example:5432/shares",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
    assert result.stdout.split()[3:] == ["django.db.backends.postgresql", "shares"]


def test_refuses_to_start_without_debug_when_no_encryption_key_is_set():
    for keys in ("", "development-only-field-encryption-key"):
        result = load_settings(DEBUG="false", SECRET_KEY="x" * 50, FIELD_ENCRYPTION_KEYS=keys)
        assert result.returncode != 0, keys
        assert "FIELD_ENCRYPTION_KEYS is not set" in result.stderr


def test_encryption_keys_are_read_as_a_list_newest_first():
    code = "import config.settings as s; print(s.SALT_KEY)"
    environment = {**os.environ, "FIELD_ENCRYPTION_KEYS": "new-key, old-key"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.stdout.strip() == "['new-key', 'old-key']"


def test_a_debug_value_that_is_not_a_boolean_is_refused():
    result = load_settings(DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG must be true or false" in result.stderr


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-" + "x" * 40,
    "FIELD_ENCRYPTION_KEYS": "a-long-random-field-encryption-key-" + "z" * 40,
    "ALLOWED_HOSTS": "shares.example.coop",
    "SITE_URL": "https://shares.example.coop",
}


def deploy_check(**env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(PRODUCTION, **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_the_documented_production_environment_passes_the_deploy_check():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr


NOT_PUBLIC_HTTPS = (
    "http://shares.example.coop",
    "https://127.0.0.1:8000",
    "https://localhost",
    "https://localhost.",
    "https://shares.localhost",
    "https://0.0.0.0",
    "https://127.1",
    "https://2130706433",
    "https://[::1]",
    "https://[::ffff:127.0.0.1]",
    "https://169.254.169.254",
    "https://",
)


@pytest.mark.parametrize("url", NOT_PUBLIC_HTTPS)
def test_a_site_url_that_is_not_public_https_stops_production_start_up(url):
    result = deploy_check(SITE_URL=url)
    assert result.returncode != 0 and "commonshare.E001" in result.stderr, url


def test_the_settings_themselves_refuse_it_so_a_server_that_runs_no_checks_cannot_start():
    result = load_settings(**{**PRODUCTION, "SITE_URL": "http://127.0.0.1:8000"})
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr
    assert "SITE_URL is 'http://127.0.0.1:8000': it is not an https address" in result.stderr
    assert load_settings(**PRODUCTION).returncode == 0


@pytest.mark.parametrize(
    "url", ["https://shares.example.coop", "https://203.0.113.7", "https://shares.example.coop/"]
)
def test_a_public_https_address_is_accepted(url):
    assert why_not_public_https(url) == ""


def test_forwarded_proto_is_believed_only_behind_a_stated_proxy():
    code = "import config.settings as s; print(getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    environment = {key: value for key, value in os.environ.items() if key != "TRUSTED_PROXY_COUNT"}
    environment.update(PRODUCTION)
    alone = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    environment["TRUSTED_PROXY_COUNT"] = "1"
    behind = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert alone.stdout.strip() == "None" and "HTTP_X_FORWARDED_PROTO" in behind.stdout


def documented_web_environment() -> dict:
    """The environment docs/deploy.md gives the web processes, its placeholders filled in."""
    block = (ROOT / "docs" / "deploy.md").read_text().split("```sh", 1)[1].split("```", 1)[0]
    pairs = dict(re.findall(r"\b([A-Z_]+)=(\S+)", block))
    return {key: PRODUCTION.get(key, value) if value == "..." else value for key, value in pairs.items()}


def test_the_documented_web_environment_believes_its_proxy_so_https_requests_are_not_redirected_again():
    environment = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "DATABASE_URL"}}
    environment.update(documented_web_environment(), DATABASE_URL="sqlite:///:memory:", REDIS_URL="")
    code = (
        "import django, logging; django.setup(); logging.disable(); from django.test import Client; "
        "client = Client(raise_request_exception=False, HTTP_HOST='shares.example.coop'); "
        "secure = client.get('/', headers={'x-forwarded-proto': 'https'}); plain = client.get('/'); "
        "print(secure.status_code, plain.status_code, plain.get('Location'))"
    )
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    secure, plain, location = result.stdout.split()
    assert secure != "301", "a request the proxy took over https was sent round to https again"
    assert (plain, location) == ("301", "https://shares.example.coop/")
