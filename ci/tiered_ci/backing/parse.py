"""Validate `[tool.tiered-ci.backing-services]` into `BackingService` values.

Called by `tiered_ci.config` while it loads the table; every message names the
full key and the fix, as the rest of the config's do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from tiered_ci.backing.model import DEFAULT_TIMEOUT, STOP_SIGNALS, BackingService
from tiered_ci.errors import ConfigError

__all__ = ["KEYS", "TEMPLATE_NAMES", "check_needs", "parse_services", "template_names"]

KEYS = frozenset(
    {
        "compose",
        "compose-file",
        "image",
        "command",
        "prepare",
        "path",
        "port",
        "container-port",
        "container-env",
        "host",
        "ready-command",
        "timeout-seconds",
        "stop-signal",
        "run-as",
        "env",
        "worker-setup",
    }
)
# What a template may name; `{worker}` only where a test worker renders it.
TEMPLATE_NAMES = frozenset({"host", "port", "dir", "name"})
_WORKER_KEYS = ("env", "worker-setup")
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_PREFIX = "tool.tiered-ci.backing-services"


def template_names(text: str) -> list[str]:
    """The `{names}` a template uses (`{{` and `}}` are literal braces)."""
    return [m.group(1) for m in _FIELD.finditer(text) if m.group(1) is not None]


def parse_services(table: object) -> tuple[dict[str, BackingService], list[str]]:
    """The services of the `backing-services` table, and its unknown keys."""
    if table is None:
        return {}, []
    if not isinstance(table, dict):
        raise ConfigError(f"{_PREFIX}: expected a table of services, got {_type(table)}")
    services: dict[str, BackingService] = {}
    unknown: list[str] = []
    for name, sub in table.items():
        key = f"{_PREFIX}.{name}"
        if not isinstance(sub, dict):
            raise ConfigError(f"{key}: expected a table, got {_type(sub)}")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise ConfigError(
                f"{_PREFIX}.{name!r}: a service name is letters, digits, '.', '_' and '-' "
                "(it names log files and containers); rename it"
            )
        unknown += [f"{key}.{k}" for k in sub if k not in KEYS]
        services[name] = _service(name, sub, key)
    return services, unknown


def check_needs(where: str, needs: tuple[str, ...], known: Mapping[str, object]) -> None:
    """A `needs` list names declared services only."""
    for index, name in enumerate(needs):
        if name not in known:
            raise ConfigError(
                f"{where}.needs[{index}]: unknown backing service {name!r}; declare it as "
                f"[{_PREFIX}.{name}] (known: {', '.join(sorted(known)) or 'none'})"
            )


def _service(name: str, sub: Mapping[str, object], key: str) -> BackingService:
    service = BackingService(
        name=name,
        compose=_str(sub, "compose", key),
        compose_file=_str(sub, "compose-file", key),
        image=_str(sub, "image", key),
        command=_argv(sub, "command", key),
        prepare=_commands(sub, "prepare", key),
        path=_strings(sub, "path", key),
        port=_port(sub, "port", key),
        container_port=_port(sub, "container-port", key),
        container_env=_env(sub, "container-env", key),
        host=_str(sub, "host", key) or "127.0.0.1",
        ready_command=_argv(sub, "ready-command", key),
        timeout_seconds=_timeout(sub, key),
        stop_signal=_signal(sub, key),
        run_as=_str(sub, "run-as", key) or "nobody",
        env=_env(sub, "env", key),
        worker_setup=_commands(sub, "worker-setup", key),
    )
    if not service.sources:
        raise ConfigError(
            f'{key}: say where it comes from: compose = "<compose service>", image = '
            '"<image>", or command = [...] (a local process; the only way without a '
            "container engine)"
        )
    if (service.compose or service.image) and service.container_port is None:
        raise ConfigError(
            f"{key}.container-port: missing; a compose or image service needs the port it "
            "listens on inside the container (e.g. container-port = 5432), to find its "
            "published port"
        )
    _check_templates(sub, key)
    return service


def _check_templates(sub: Mapping[str, object], key: str) -> None:
    for field_name in ("command", "prepare", "ready-command", "env", "worker-setup"):
        value = sub.get(field_name)
        texts: list[str] = []
        if isinstance(value, dict):
            texts = [str(v) for v in value.values()]
        elif isinstance(value, list):
            texts = [str(t) for item in value for t in (item if isinstance(item, list) else [item])]
        allowed = TEMPLATE_NAMES | ({"worker"} if field_name in _WORKER_KEYS else set())
        for text in texts:
            for used in template_names(text):
                if used not in allowed:
                    names = ", ".join(f"{{{n}}}" for n in sorted(allowed))
                    raise ConfigError(
                        f"{key}.{field_name}: {text!r} uses {{{used}}}; the templates here are "
                        f"{names} (write {{{{ and }}}} for literal braces)"
                    )


def _type(value: object) -> str:
    names = {str: "str", int: "int", float: "float", bool: "bool", list: "list", dict: "table"}
    return names.get(type(value), type(value).__name__)


def _str(sub: Mapping[str, object], name: str, key: str) -> str | None:
    value = sub.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}.{name}: expected a non-empty string, got {_type(value)}")
    return value


def _strings(sub: Mapping[str, object], name: str, key: str) -> tuple[str, ...]:
    value = sub.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{key}.{name}: expected a list of non-empty strings")
    return tuple(value)


def _argv(sub: Mapping[str, object], name: str, key: str) -> tuple[str, ...]:
    return _argv_value(sub.get(name, []), f"{key}.{name}")


def _argv_value(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f'{where}: expected a command as a list of strings (["redis-server", '
            f'"--port", "{{port}}"]), got {_type(value)}'
        )
    if value and not value[0]:
        raise ConfigError(f"{where}[0]: the program is empty; name it")
    return tuple(value)


def _commands(sub: Mapping[str, object], name: str, key: str) -> tuple[tuple[str, ...], ...]:
    """One command (a list of strings) or several (a list of such lists)."""
    value = sub.get(name, [])
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return (_argv_value(value, f"{key}.{name}"),)
    if not isinstance(value, list) or not all(isinstance(v, list) and v for v in value):
        raise ConfigError(
            f"{key}.{name}: expected a command (a list of strings) or a list of commands, "
            f"got {_type(value)}"
        )
    return tuple(_argv_value(v, f"{key}.{name}[{i}]") for i, v in enumerate(value))


def _port(sub: Mapping[str, object], name: str, key: str) -> int | None:
    value = sub.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigError(f"{key}.{name}: expected a port number from 1 to 65535, got {value!r}")
    return value


def _env(sub: Mapping[str, object], name: str, key: str) -> dict[str, str]:
    value = sub.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{key}.{name}: expected a table of strings, got {_type(value)}")
    for variable, text in value.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
            raise ConfigError(f"{key}.{name}.{variable}: not an environment variable name")
        if not isinstance(text, str):
            raise ConfigError(f"{key}.{name}.{variable}: expected a string, got {_type(text)}")
    return dict(value)


def _timeout(sub: Mapping[str, object], key: str) -> float:
    value = sub.get("timeout-seconds", DEFAULT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key}.timeout-seconds: expected a number, got {_type(value)}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{key}.timeout-seconds: expected a number > 0, got {value}")
    return float(value)


def _signal(sub: Mapping[str, object], key: str) -> str:
    value = sub.get("stop-signal", "SIGTERM")
    if value not in STOP_SIGNALS:
        raise ConfigError(
            f"{key}.stop-signal: expected one of {', '.join(STOP_SIGNALS)}, got {value!r}"
        )
    return str(value)
