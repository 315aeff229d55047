"""The host side of the bridge: whatever goes wrong inside an API call, the script gets a located message."""

from compiler.api import dispatch
from tests.helpers import problems


def test_an_unexpected_exception_in_an_api_call_is_a_located_error(monkeypatch):
    def broken(call, *args):
        raise KeyError("platform")

    entry = dispatch.BRIDGE_NAMES[b"bk.image"]
    monkeypatch.setitem(dispatch.BRIDGE_NAMES, b"bk.image", dispatch.Entry(entry.where, broken, entry.method))
    assert problems('local b = bk.image("alpine")\nbk.export(b)') == [
        "build.lua:1:11: bk.image: internal error ('platform'); please report it"
    ]


def test_errors_raised_with_non_string_values_are_located():
    assert problems("error({ code = 1 })") == ["build.lua:1:1: error object is a table value"]
