"""One module per subcommand: `HELP`, `add_arguments(parser)`, `run(args) -> int`."""

from __future__ import annotations

__all__: list[str] = []
