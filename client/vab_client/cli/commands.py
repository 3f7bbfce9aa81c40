"""Registers the built-in ``vab`` commands on the :data:`vab_client.cli.cli` group.

Each command family lives in its own module and exposes ``COMMANDS`` (a list of click
commands or groups). To add a family (e.g. ``vab agent ...`` or ``vab audit verify``),
write ``cli/agent.py`` with ``COMMANDS = [agent_group]`` and add the module to
``_FAMILIES`` below. Commands that live in the server package instead are plugins: they
are declared in the ``vab.commands`` entry-point group (see ``cli/__init__.py``).
"""

from __future__ import annotations

from . import agent, audit, cli, generic, kv, login, mounts, policy, status, token

_FAMILIES = (generic, kv, login, policy, status, token, mounts, audit, agent)

for _module in _FAMILIES:
    for _command in _module.COMMANDS:
        cli.add_command(_command)
