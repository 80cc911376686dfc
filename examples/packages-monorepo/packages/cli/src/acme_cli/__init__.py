"""acme-cli."""

from __future__ import annotations

import sys

from acme_api import create
from acme_storage import Store


def main(argv: list[str]) -> int:
    print(create(Store(), " ".join(argv))["url"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
