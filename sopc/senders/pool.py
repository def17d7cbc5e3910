"""The senders of one project, built once by name from ``[senders.NAME]``.

The runner asks the pool for a sender by the name a message carries. A name
sopc.toml does not declare is an error, except ``console`` (the default when
a project declares no sender). ``override`` replaces every sender (``--dry-run``
prints through the console sender instead of delivering). The pool also
lets senders reach each other (``remind`` posts through another sender) and
knows every secret it was given, to mask them in errors.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable, Mapping

from sopc.project.config import Config
from sopc.senders.base import Sender, SenderConfigError, SenderRuntime, load_sender
from sopc.senders.redact import Redactor

CONSOLE = "console"


class SenderPool:
    def __init__(self, config: Config, env: Mapping[str, str], *, runtime: SenderRuntime | None = None,
                 override: Sender | None = None, group_addresses: Iterable[str] = ()):
        self.config = config
        self.env = env
        self.override = override
        self.runtime = dataclasses.replace(runtime or SenderRuntime(),
                                           extra={**(runtime.extra if runtime else {}), "senders": self.get})
        self._built: dict[str, Sender] = {}
        self.redact = Redactor(self._secrets(group_addresses))

    def _secrets(self, group_addresses: Iterable[str]) -> list[str]:
        names = [n for sender in self.config.senders.values() for n in sender.env_names().values()]
        for address in group_addresses:
            names += [address, f"{address}_SECRET"]
        return [self.env[n] for n in names if self.env.get(n)]

    def get(self, name: str) -> Sender:
        """The sender called ``name``; raises SenderConfigError if it cannot be built."""
        if self.override is not None:
            return self.override
        sender = self._built.get(name)
        if sender is None:
            sender = self._built[name] = self._build(name)
        return sender

    def _build(self, name: str) -> Sender:
        declared = self.config.senders.get(name)
        if declared is None:
            if name == CONSOLE:
                return load_sender(CONSOLE, CONSOLE, {}, self.env, runtime=self.runtime)
            raise SenderConfigError(f"sender `{name}` is not declared in sopc.toml")
        settings = dict(declared.settings)
        path = settings.get("path")
        if declared.kind == "file" and isinstance(path, str) and not Path(path).is_absolute():
            settings["path"] = str(self.config.project_dir / path)  # relative to the project, not the cwd
        try:
            return load_sender(name, declared.kind, settings, self.env, runtime=self.runtime)
        except SenderConfigError as exc:
            raise SenderConfigError(f"sender `{name}` ({declared.kind}): {exc}") from None

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
        for sender in self._built.values():
            await sender.aclose()
        if self.override is not None:
            await self.override.aclose()
        self._built.clear()
