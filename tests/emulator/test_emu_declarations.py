"""Each emulated node type runs its declaration (pyngraph.abi.nodetypes): commands and hook names."""

from __future__ import annotations

import errno
import importlib

import pytest

from pyngraph.abi.nodetypes import DECLARED
from pyngraph.ascii import CMDLISTS
from pyngraph.emulator.kernel import Kernel
from pyngraph.emulator.nodes import TYPE_MODULES
from pyngraph.errors import NetgraphError


def test_every_declared_type_is_emulated_with_its_declaration(kernel: Kernel) -> None:
    assert set(DECLARED) == set(TYPE_MODULES) <= set(kernel.types)  # other tests may add types of their own
    for name, decl in DECLARED.items():
        cls = kernel.types[name]
        assert cls.declaration is decl
        assert (cls.type_name, cls.cookie) == (decl.name, decl.cookie)
        assert cls.cmdlist is CMDLISTS[name] and [c.name for c in cls.cmdlist] == [c.name for c in decl.commands]


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_every_declared_command_has_a_handler(name: str) -> None:
    handlers = vars(importlib.import_module(f"pyngraph.emulator.nodes.{name}")).get("_MESSAGES", {})
    missing = [c.name for c in DECLARED[name].commands if c.cmd not in handlers]
    assert not missing, f"{name}: declared but not handled: {missing}"


# Types a user can make without a network interface under them (iface, eiface and ether make or
# need one; tests/netif covers their hooks).
@pytest.mark.parametrize("name,good,bad", [
    ("tee", "left2right", "middle"),
    ("bridge", "uplink3", "link"),
    ("one2many", "many5", "few1"),
])
def test_hook_names_follow_the_declaration(s, name: str, good: str, bad: str) -> None:
    rules = DECLARED[name].hooks
    assert rules.accepts(good) and not rules.accepts(bad)
    s.mkpeer(".", name, "n", good)
    with pytest.raises(NetgraphError) as info:
        s.connect(".", "n", "other", bad)  # the node at .:n would get a hook named `bad`
    assert info.value.errno == rules.refusal == errno.EINVAL
    s.connect(".", "n", "other", good[:-1] + "7" if good[-1].isdigit() else "right")


def test_any_name_types_take_any_hook(s) -> None:
    for name in ("hub", "hole", "echo", "vlan"):
        assert DECLARED[name].hooks.any_name
        s.mkpeer(".", name, name, "any-name.at all")
        s.rmhook(".", name)
