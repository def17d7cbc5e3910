"""The senders of one project, built once by name from ``[senders.NAME]``.

The runner asks the pool for a sender by the name a message carries. A name
sopc.toml does not declare is an error, except ``console`` (the default when
a project declares no sender). ``override`` replaces every sender; one that
offers ``stand_in(name, kind, limits, project_dir)`` (the dry run's
:class:`~sopc.senders.dryrun.DryRunSender`) gets a stand-in per sender name,
held to that sender kind's contract. The pool also lets senders reach each
other (``remind`` posts through another sender), tells them the project
folder (relative image paths are read from it), and knows every secret it
was given, to mask them in errors.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable, Mapping

from sopc.core.i18n import _
from sopc.project.config import Config
from sopc.senders.base import Sender, SenderConfigError, SenderRuntime, limits_for, load_sender
from sopc.senders.redact import Redactor

CONSOLE = "console"


class SenderPool:
    def __init__(self, config: Config, env: Mapping[str, str], *, runtime: SenderRuntime | None = None,
                 override: Sender | None = None, group_addresses: Iterable[str] = ()):
        self.config = config
        self.env = env
        self.override = override
        lent = {"senders": self.get, "project_dir": config.project_dir}
        self.runtime = dataclasses.replace(runtime or SenderRuntime(), extra={**(runtime.extra if runtime else {}), **lent})
        self._built: dict[str, Sender] = {}
        self.redact = Redactor(self._secrets(group_addresses))

    def _secrets(self, group_addresses: Iterable[str]) -> list[str]:
        names = [n for sender in self.config.senders.values() for n in sender.env_names().values()]
        for address in group_addresses:
            names += [address, f"{address}_SECRET"]
        return [self.env[n] for n in names if self.env.get(n)]

    def get(self, name: str) -> Sender:
        """The sender called ``name``; raises SenderConfigError if it cannot be built."""
        sender = self._built.get(name)
        if sender is None:
            sender = self._built[name] = self._stand_in(name) if self.override is not None else self._build(name)
        return sender

    def _stand_in(self, name: str) -> Sender:
        """What the override sends ``name``'s messages with."""
        stand_in = getattr(self.override, "stand_in", None)
        if not callable(stand_in):
            return self.override
        kind = self._kind(name)
        return stand_in(name, kind, limits_for(kind), self.config.project_dir)

    def _kind(self, name: str) -> str:
        declared = self.config.senders.get(name)
        if declared is not None:
            return declared.kind
        if name == CONSOLE:
            return CONSOLE
        raise SenderConfigError(_("sender `{name}` is not declared in sopc.toml").format(name=name))

    def _build(self, name: str) -> Sender:
        declared = self.config.senders.get(name)
        if declared is None:
            if name == CONSOLE:
                return load_sender(CONSOLE, CONSOLE, {}, self.env, runtime=self.runtime)
            raise SenderConfigError(_("sender `{name}` is not declared in sopc.toml").format(name=name))
        settings = dict(declared.settings)
        path = settings.get("path")
        if declared.kind == "file" and isinstance(path, str) and not Path(path).is_absolute():
            settings["path"] = str(self.config.project_dir / path)  # relative to the project, not the cwd
        try:
            return load_sender(name, declared.kind, settings, self.env, runtime=self.runtime)
        except SenderConfigError as exc:
            raise SenderConfigError(_("sender `{name}` ({kind}): {problem}").format(name=name, kind=declared.kind,
                                                                                    problem=exc)) from None

    def problems(self, names: Iterable[str]) -> list[str]:
        """Build each named sender now; what stops one from working."""
        found = []
        for name in sorted(set(names)):
            try:
                self.get(name)
            except SenderConfigError as exc:
                found.append(str(exc))
        return found

    async def aclose(self) -> None:
        if self.override is not None:
            await self.override.aclose()  # its stand-ins hold nothing to close
        else:
            for sender in self._built.values():
                await sender.aclose()
        self._built.clear()
