from __future__ import annotations

from acme_cli import main


def test_main_prints_the_url(capsys) -> None:
    assert main(["Tea", "Pot"]) == 0
    assert capsys.readouterr().out == "/items/tea-pot\n"
