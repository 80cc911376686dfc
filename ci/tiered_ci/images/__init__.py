"""Docker images: what a service's image is built from, and how it is built.

* `watch`: pure watch rules (which changed paths need a rebuild); the only
  module of this package that `tiered_ci.mapping` imports.
* `discover`: the I/O edge: services from compose files, watches from
  Dockerfiles and ignore files, all read through a `tiered_ci.tree.Tree`.
* `compose` and `interpolation`: compose files as Compose reads them.
* `dockerfile`: pure readers of Dockerfiles and `.dockerignore`.
* `builders`: builder argv (bake, docker, podman, buildah) and the runner.
"""

from __future__ import annotations

__all__: list[str] = []
