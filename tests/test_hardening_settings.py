"""The hosted-Space switches of the UI's backend table: private-host guard, timeout, emulator seed."""

from __future__ import annotations

import pytest

from playground.errors import BlockedAddressError, ParameterError
from playground.ui.backends import OPENAI, Backends, allow_private_hosts, emulator_options, request_timeout


@pytest.mark.parametrize(("env", "allowed"), [
    ({}, True),  # local use: a local model server is the point
    ({"SPACE_ID": "someone/playground"}, False),  # on a Space: guarded by default
    ({"SPACE_ID": "someone/playground", "PLAYGROUND_ALLOW_PRIVATE_HOSTS": "1"}, True),
    ({"PLAYGROUND_ALLOW_PRIVATE_HOSTS": "false"}, False),
])
def test_private_hosts_setting(env, allowed) -> None:
    assert allow_private_hosts(env) is allowed


@pytest.mark.parametrize("base", ["http://127.0.0.1:9/v1", "http://localhost:9/v1", "http://[::1]:9/v1",
                                  "http://192.168.1.5/v1", "http://169.254.169.254/v1", "http://app.localhost/v1"])
def test_guarded_target_refuses_private_literals_before_any_request(base) -> None:
    backends = Backends(allow_private_hosts=False)
    with pytest.raises(BlockedAddressError, match="private or loopback"):
        backends.target(OPENAI, "key", base)


def test_guarded_target_passes_the_guard_to_the_provider_for_names() -> None:
    target = Backends(allow_private_hosts=False, timeout=5).target(OPENAI, "key", "https://models.example.com/v1")
    assert target.guard_kwargs() == {"allow_private_hosts": False, "timeout": 5}
    assert Backends().target(OPENAI, "key", "http://127.0.0.1:9/v1").guard_kwargs() == {}


def test_timeout_and_seed_from_the_environment() -> None:
    assert request_timeout({}) is None
    assert request_timeout({"PLAYGROUND_TIMEOUT": "2.5"}) == 2.5
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ParameterError, match="PLAYGROUND_TIMEOUT"):
            request_timeout({"PLAYGROUND_TIMEOUT": bad})
    assert emulator_options({"PLAYGROUND_EMULATOR_SEED": "7"})["seed"] == 7
    assert "seed" not in emulator_options({})
    with pytest.raises(ParameterError, match="PLAYGROUND_EMULATOR_SEED"):
        emulator_options({"PLAYGROUND_EMULATOR_SEED": "x"})
