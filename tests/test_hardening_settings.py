"""The hosted-Space switches applied by the backend table: private-host guard, timeout, emulator seed."""

from __future__ import annotations

import pytest

from playground.backends import Backends
from playground.config import Config, ConfigError, load_config
from playground.errors import BlockedAddressError


@pytest.mark.parametrize(("env", "allowed"), [
    ({}, True),  # local use: a local model server is the point
    ({"SPACE_ID": "someone/playground"}, False),  # on a Space: guarded by default
    ({"SPACE_ID": "someone/playground", "PLAYGROUND_ALLOW_PRIVATE_HOSTS": "1"}, True),
    ({"PLAYGROUND_ALLOW_PRIVATE_HOSTS": "false"}, False),
])
def test_private_hosts_setting(env, allowed) -> None:
    assert load_config(env, None).allow_private_hosts is allowed


@pytest.mark.parametrize("base", ["http://127.0.0.1:9/v1", "http://localhost:9/v1", "http://[::1]:9/v1",
                                  "http://192.168.1.5/v1", "http://169.254.169.254/v1", "http://app.localhost/v1"])
def test_guarded_target_refuses_private_literals_before_any_request(base) -> None:
    backends = Backends(Config(allow_private_hosts=False))
    with pytest.raises(BlockedAddressError, match="private or loopback"):
        backends.target("openai", "key", base)


def test_guarded_target_passes_the_guard_to_the_provider_for_names() -> None:
    guarded = Backends(Config(allow_private_hosts=False, timeout=5))
    target = guarded.target("openai", "key", "https://models.example.com/v1")
    assert target.guard_kwargs() == {"allow_private_hosts": False, "timeout": 5}
    assert Backends(Config()).target("openai", "key", "http://127.0.0.1:9/v1").guard_kwargs() == {}
    # the operator's own Anthropic base URL is not a typed one: the guard is for visitors' URLs
    operator = Backends(Config(anthropic_api_key="k", anthropic_base_url="http://10.0.0.5", allow_private_hosts=False))
    assert operator.target("anthropic").guard_kwargs() == {}


def test_timeout_and_seed_from_the_environment() -> None:
    assert load_config({}, None).timeout is None
    assert load_config({"PLAYGROUND_TIMEOUT": "2.5"}, None).timeout == 2.5
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ConfigError, match="PLAYGROUND_TIMEOUT"):
            load_config({"PLAYGROUND_TIMEOUT": bad}, None)
    assert load_config({"PLAYGROUND_EMULATOR_SEED": "7"}, None).emulator_options()["seed"] == 7
    assert "seed" not in load_config({}, None).emulator_options()
    with pytest.raises(ConfigError, match="PLAYGROUND_EMULATOR_SEED"):
        load_config({"PLAYGROUND_EMULATOR_SEED": "x"}, None)
