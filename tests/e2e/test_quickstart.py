"""The seed README's Quick Start, on the local busybox base image."""

from scenario import scenario


def test_quick_start_greeting(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("BASE"))
        local result = base:run("echo 'Hello from Luakit!' > /greeting.txt")
        bk.export(result)
        """,
    )
    assert (result.out / "greeting.txt").read_text() == "Hello from Luakit!\n"
