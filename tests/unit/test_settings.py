"""Settings: a real configuration written by ``gateway.devsetup`` with real, freshly generated keys.

Each test edits the TOML text of that configuration and loads it with
:func:`gateway.settings.load_settings`, so what is checked is the file a user would write.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from gateway.devsetup import create_dev_insurer, write_config
from gateway.errors import ConfigError, GatewayError
from gateway.keys import generate_gateway_keys
from gateway.runtime import build_runtime
from gateway.settings import Settings, get_settings, load_settings

EXPORTER = "exporter-settings"
URL = "http://127.0.0.1:8080"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``gateway.toml`` for fresh gateway keys and a 2048-bit reference insurer key."""
    for name in [n for n in os.environ if n.startswith("GATEWAY_")]:
        monkeypatch.delenv(name)
    keys = generate_gateway_keys(tmp_path / "keys", EXPORTER)
    insurer = create_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER, paillier_bits=2048
    )
    export = tmp_path / "exports" / "export.csv"
    return write_config(
        tmp_path, exporter_id=EXPORTER, keys=keys, insurer=insurer,
        sources=[("erp", export)], insurer_url=URL,
    )


def _edit(config: Path, old: str, new: str) -> Path:
    text = config.read_text(encoding="utf-8")
    pattern = re.compile(rf"^{re.escape(old)} = .*$", re.MULTILINE)
    assert len(pattern.findall(text)) == 1, f"{old} is not set exactly once"
    config.write_text(pattern.sub(lambda _: f"{old} = {new}", text), encoding="utf-8")
    return config


def test_a_valid_configuration_loads(config: Path) -> None:
    settings = load_settings(config)
    assert isinstance(settings, Settings)
    assert settings.exporter_id == EXPORTER
    assert settings.insurer.url == URL
    assert settings.insurer.paillier_fingerprint.startswith("sha256:")
    assert settings.keys.signing_key == config.parent / "keys" / "signing.pem"
    assert settings.store_path == config.parent / "data" / "gateway.sqlite3"
    assert [s.name for s in settings.sources] == ["erp"]
    assert settings.sources[0].kind == "csv"
    assert settings.service.port == 8700


def test_the_loaded_configuration_builds_a_runtime(config: Path) -> None:
    settings = load_settings(config)
    runtime = build_runtime(settings)
    assert runtime.exporter_id == EXPORTER
    assert runtime.insurer_id == "reference-insurer"
    assert runtime.paillier_public_key.fingerprint == settings.insurer.paillier_fingerprint


def test_relative_paths_resolve_against_the_file_not_the_working_directory(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = str(config.parent) + "/"
    text = config.read_text(encoding="utf-8").replace(base, "")
    assert base not in text
    monkeypatch.chdir(tmp_path.parent)
    config.write_text(text, encoding="utf-8")
    settings = load_settings(config)
    assert settings.keys.signing_key == config.parent / "keys" / "signing.pem"
    insurer = config.parent / "insurer"
    assert settings.insurer.paillier_public_key == insurer / "paillier_public.json"
    assert settings.sources[0].path == config.parent / "exports" / "export.csv"
    assert settings.data_dir == config.parent / "data"
    assert build_runtime(settings).exporter_id == EXPORTER


def test_an_unknown_top_level_key_is_refused_by_name(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text('colour = "blue"\n' + text, encoding="utf-8")
    with pytest.raises(ConfigError, match="colour"):
        load_settings(config)


def test_an_unknown_key_in_a_section_is_refused_by_name(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[insurer]\n", "[insurer]\nretries = 3\n"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"insurer\.retries"):
        load_settings(config)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("exporter_id", '"REPLACE_ME"'),
        ("id", '"CHANGEME"'),
        ("id", '"<your id>"'),
        ("url", '"https://changeme.insurer.example"'),
        ("signing_key", '"<path to your signing key>"'),
        ("data_dir", '"REPLACE_ME"'),
    ],
)
def test_placeholders_are_refused(config: Path, key: str, value: str) -> None:
    _edit(config, key, value)
    with pytest.raises(ConfigError, match="placeholder"):
        load_settings(config)


@pytest.mark.parametrize("word", ["mastodon-exports", "todo-list-gmbh"])
def test_ordinary_words_containing_a_placeholder_word_are_accepted(config: Path, word: str) -> None:
    """``TODO`` is a placeholder only as an upper-case marker, not inside a real name."""
    _edit(config, "exporter_id", f'"{word}"')
    assert load_settings(config).exporter_id == word


def test_the_environment_overrides_one_nested_key(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_INSURER__URL", "http://127.0.0.1:9999/api/")
    settings = load_settings(config)
    assert settings.insurer.url == "http://127.0.0.1:9999/api"
    assert settings.insurer.id == "reference-insurer"  # the rest of [insurer] still from the file
    assert settings.insurer.paillier_public_key.is_file()


def test_unrelated_gateway_variables_do_not_break_loading(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's own variables share the prefix; they are not settings keys."""
    monkeypatch.setenv("GATEWAY_CONFIG", str(config))
    monkeypatch.setenv("GATEWAY_WEBHOOK_TOKEN", "t0ken-for-the-webhook")
    assert load_settings(config).exporter_id == EXPORTER


def test_an_insurer_url_with_credentials_is_refused_without_echoing_them(config: Path) -> None:
    _edit(config, "url", '"https://svc:Sup3rSecretPw@insurer.example/api"')
    with pytest.raises(ConfigError, match=r"insurer\.url") as caught:
        load_settings(config)
    assert "Sup3rSecretPw" not in str(caught.value)


@pytest.mark.parametrize("url", ['"ftp://insurer.example"', '"insurer.example"', '"https://"'])
def test_an_insurer_url_that_is_not_http_is_refused(config: Path, url: str) -> None:
    _edit(config, "url", url)
    with pytest.raises(ConfigError, match=r"insurer\.url"):
        load_settings(config)


def test_a_missing_file_points_at_gateway_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="gateway init"):
        load_settings(tmp_path / "nowhere" / "gateway.toml")


def test_a_file_that_is_not_toml_is_a_config_error(config: Path) -> None:
    config.write_text("exporter_id = \n[keys\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_settings(config)


def test_a_wrong_pinned_paillier_fingerprint_stops_the_runtime(config: Path) -> None:
    _edit(config, "paillier_fingerprint", '"sha256:' + "0" * 64 + '"')
    settings = load_settings(config)  # well-formed: only the key file can tell
    with pytest.raises(GatewayError, match="fingerprint"):
        build_runtime(settings)


def test_get_settings_caches_one_load_per_path(config: Path) -> None:
    get_settings.cache_clear()
    try:
        first = get_settings(config)
        _edit(config, "exporter_id", '"exporter-changed"')
        assert get_settings(config) is first
        get_settings.cache_clear()
        assert get_settings(config).exporter_id == "exporter-changed"
    finally:
        get_settings.cache_clear()
