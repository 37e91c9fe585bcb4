"""Netgraph ASCII text read as Python values (for replies pyngraph has no codec for)."""

from __future__ import annotations

import pytest

from pyngraph.abi import constants as C
from pyngraph.abi.nodetypes import ng_ksocket
from pyngraph.api.asciivalue import parse_text
from pyngraph.api.replies import expects_reply


@pytest.mark.parametrize("text, value", [
    ('{ name="foo" type="ksocket" id=0x1a hooks=1 }', {"name": "foo", "type": "ksocket", "id": 26, "hooks": 1}),
    ("{}", {}),
    ("[ 1 2 -3 ]", [1, 2, -3]),
    ("[ 2=7 ]", [None, None, 7]),
    ('{ a=[ { b="x\\ty" } ] c=010 }', {"a": [{"b": "x\ty"}], "c": 8}),
    ("inet/127.0.0.1:5000", "inet/127.0.0.1:5000"),
    ("", None),
])
def test_parse_text(text: str, value: object) -> None:
    assert parse_text(text) == value


@pytest.mark.parametrize("text", ["{ a }", "{ a=1", "[ 1", '"open', "1 2"])
def test_malformed_text_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_text(text)


def test_which_requests_have_an_immediate_reply() -> None:
    assert expects_reply(C.NGM_GENERIC_COOKIE, C.NGM_NODEINFO)  # NGM_HASREPLY
    assert expects_reply(ng_ksocket.NGM_KSOCKET_COOKIE, ng_ksocket.NGM_KSOCKET_GETNAME)  # a reply type in the command list
    assert not expects_reply(C.NGM_GENERIC_COOKIE, C.NGM_MKPEER)
    assert not expects_reply(ng_ksocket.NGM_KSOCKET_COOKIE, ng_ksocket.NGM_KSOCKET_CONNECT)  # asynchronous: an event
    assert not expects_reply(ng_ksocket.NGM_KSOCKET_COOKIE, ng_ksocket.NGM_KSOCKET_ACCEPT)
    assert not expects_reply(0x1234567, 1)
