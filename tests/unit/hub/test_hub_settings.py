"""``hub.toml``, the hub's keys and its operator tokens: what loads and what is refused.

Real files written by ``init_hub`` (a fresh Ed25519 key, the session's Paillier public key);
each refusal names the key or the variable and never echoes the value.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from gateway.crypto import PaillierPublicKey
from gateway.errors import ConfigError, KeyMaterialError, PaillierKeyError
from gateway.hub.runtime import bearer_matches, load_hub_runtime, read_token
from gateway.hub.settings import load_hub_settings
from gateway.hub.setup import init_hub
from tests.unit.hub.hub_support import HUB_ID, INSURER_ID, write_insurer_key

GOOD_TOKEN = "Hq7vX2mP9sK4wN8cR3tY6bJ1fD5gL0zA"


@pytest.fixture
def config(tmp_path: Path, paillier_public_key: PaillierPublicKey) -> Path:
    done = init_hub(
        tmp_path / "hub", hub_id=HUB_ID, insurer_id=INSURER_ID,
        insurer_paillier_key=write_insurer_key(tmp_path / "insurer", paillier_public_key),
        fingerprint=paillier_public_key.fingerprint, k=4, insurer_url="https://insurer.test/api",
    )
    return done.config


def rewrite(config: Path, **changes: object) -> None:
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    data.update(changes)
    lines = []
    for key, value in data.items():
        shown = str(value).lower() if isinstance(value, bool) else value
        lines.append(f"{key} = {shown!r}".replace("'", '"') if isinstance(value, str)
                     else f"{key} = {shown}")
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_init_writes_a_configuration_that_loads_with_absolute_paths_and_private_keys(
    config: Path, paillier_public_key: PaillierPublicKey,
) -> None:
    settings = load_hub_settings(config)
    assert (settings.hub_id, settings.insurer_id, settings.k) == (HUB_ID, INSURER_ID, 4)
    assert settings.insurer_paillier_fingerprint == paillier_public_key.fingerprint
    assert settings.insurer_url == "https://insurer.test/api"
    for path in (settings.data_dir, settings.signing_key, settings.insurer_paillier_public_key):
        assert path.is_absolute() and path.exists()
    assert stat.S_IMODE(settings.signing_key.stat().st_mode) == 0o600
    runtime = load_hub_runtime(settings, {})
    assert runtime.paillier == paillier_public_key
    assert runtime.jwks["keys"][0]["kid"] == runtime.signing_key.kid
    assert (runtime.release_token, runtime.reader_token) == (None, None)


def test_init_refuses_to_overwrite_and_a_wrong_fingerprint(
    config: Path, tmp_path: Path, paillier_public_key: PaillierPublicKey,
) -> None:
    insurer_key = tmp_path / "insurer" / "paillier_public.json"
    with pytest.raises(ConfigError, match="exists; refusing to overwrite"):
        init_hub(config.parent, hub_id=HUB_ID, insurer_id=INSURER_ID,
                 insurer_paillier_key=insurer_key, fingerprint=paillier_public_key.fingerprint)
    with pytest.raises(PaillierKeyError, match="not the pinned one"):
        init_hub(tmp_path / "other", hub_id=HUB_ID, insurer_id=INSURER_ID,
                 insurer_paillier_key=insurer_key, fingerprint="sha256:" + "1" * 64)
    with pytest.raises(ConfigError, match="k: Input should be greater than or equal to 2"):
        init_hub(tmp_path / "third", hub_id=HUB_ID, insurer_id=INSURER_ID,
                 insurer_paillier_key=insurer_key, fingerprint=paillier_public_key.fingerprint,
                 k=1)
    assert not (tmp_path / "third" / "keys").exists()  # refused before anything was written


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"k": 1}, "k: Input should be greater than or equal to 2"),
        ({"hub_id": "REPLACE_ME"}, "hub_id is a placeholder"),
        ({"insurer_id": "<insurer id>"}, "insurer_id is a placeholder"),
        ({"hub_idd": "x"}, "hub_idd: Extra inputs are not permitted"),
        ({"insurer_url": "http://insurer.test"}, "plain http is allowed on loopback only"),
        ({"insurer_url": "https://user:pw@insurer.test"}, "without credentials"),
        ({"insurer_paillier_fingerprint": "sha256:abc"}, "insurer_paillier_fingerprint"),
        ({"release_token_env": "NOT A NAME"}, "release_token_env"),
        ({"reader_token_env": "GATEWAY_HUB_RELEASE_TOKEN"}, "another variable"),
    ],
    ids=["k1", "placeholder", "angle_placeholder", "unknown_key", "http", "credentials",
         "fingerprint", "env_name", "same_token_env"],
)
def test_bad_settings_are_refused_by_name_without_the_value(
    config: Path, changes: dict[str, object], reason: str,
) -> None:
    rewrite(config, **changes)
    with pytest.raises(ConfigError, match=reason) as refused:
        load_hub_settings(config)
    for value in changes.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in str(refused.value)


def test_loopback_http_is_accepted_and_relative_paths_resolve_beside_the_file(
    config: Path,
) -> None:
    settings = load_hub_settings(config)
    key = settings.signing_key
    rewrite(config, insurer_url="http://127.0.0.1:9000/",
            signing_key=os.path.relpath(key, config.parent))
    reloaded = load_hub_settings(config)
    assert reloaded.insurer_url == "http://127.0.0.1:9000"
    assert reloaded.signing_key == key


def test_a_pinned_fingerprint_that_does_not_match_the_key_file_stops_start_up(
    config: Path,
) -> None:
    rewrite(config, insurer_paillier_fingerprint="sha256:" + "2" * 64)
    with pytest.raises(PaillierKeyError, match="not the pinned one"):
        load_hub_runtime(load_hub_settings(config), {})


def test_a_readable_signing_key_stops_start_up(config: Path) -> None:
    settings = load_hub_settings(config)
    os.chmod(settings.signing_key, 0o644)
    with pytest.raises(KeyMaterialError, match="accessible by group or others"):
        load_hub_runtime(settings, {})


@pytest.mark.parametrize(
    "value", ["short", "REPLACE_ME-" + "x" * 40, "a" * 64], ids=["short", "placeholder", "flat"]
)
def test_weak_tokens_are_refused_by_variable_name(value: str) -> None:
    with pytest.raises(ConfigError, match="environment variable HUB_TOKEN") as refused:
        read_token("HUB_TOKEN", {"HUB_TOKEN": value})
    assert value not in str(refused.value)


def test_tokens_load_and_match_in_constant_time_only_exactly() -> None:
    token = read_token("HUB_TOKEN", {"HUB_TOKEN": GOOD_TOKEN})
    assert token == GOOD_TOKEN.encode()
    assert read_token("HUB_TOKEN", {}) is None
    assert bearer_matches(f"Bearer {GOOD_TOKEN}", (None, token))
    for header in (None, "", GOOD_TOKEN, f"bearer {GOOD_TOKEN}", f"Bearer {GOOD_TOKEN}x",
                   f"Bearer {GOOD_TOKEN[:-1]}", f"Basic {GOOD_TOKEN}", "Bearer "):
        assert not bearer_matches(header, (token,))
    assert not bearer_matches(f"Bearer {GOOD_TOKEN}", (None, None))


def test_environment_overrides_the_file(
    config: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEWAY_HUB_K", "7")
    assert load_hub_settings(config).k == 7
