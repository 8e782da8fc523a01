"""The one stage registry. Built-ins and third-party stages register the same way: through
the `sijill.stages` entry-point group, each entry a callable returning stage instances."""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any

from sijill.errors import ConfigError
from sijill.pipeline.stage import Stage, config_hash


class Registry:
    def __init__(self, stages: Iterable[Stage] = ()) -> None:
        self._stages: dict[str, Stage] = {}
        self._ordered: list[Stage] | None = None
        self._configs: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        for s in stages:
            self.add(s)

    def add(self, stage: Stage) -> None:
        if stage.name in self._stages:
            raise ConfigError(f"two stages are named {stage.name!r}")
        self._stages[stage.name] = stage
        self._ordered = None

    def get(self, name: str) -> Stage:
        try:
            return self._stages[name]
        except KeyError as exc:
            raise ConfigError(f"no stage named {name!r}") from exc

    def names(self) -> list[str]:
        return [s.name for s in self.ordered()]

    def ordered(self) -> list[Stage]:
        """Stages in dependency order (each after the stages it names in `after`)."""
        if self._ordered is None:
            self._ordered = self._order()
        return self._ordered

    def _order(self) -> list[Stage]:
        done: dict[str, Stage] = {}
        pending = dict(self._stages)
        while pending:
            progressed = False
            for name, stage in list(pending.items()):
                if all(dep in done or dep not in self._stages for dep in stage.after):
                    done[name] = stage
                    del pending[name]
                    progressed = True
            if not progressed:
                raise ConfigError(f"stage dependencies form a cycle: {sorted(pending)}")
        return list(done.values())

    def config_and_hash(
        self, stage: Stage, case_config: dict[str, Any]
    ) -> tuple[dict[str, Any], str]:
        """The stage's effective config for a case and its hash (memoised: planning is hot)."""
        key = (stage.name, json.dumps(case_config.get(stage.name, {}), sort_keys=True))
        hit = self._configs.get(key)
        if hit is None:
            cfg = self.effective_config(stage, case_config)
            hit = self._configs[key] = (cfg, config_hash(cfg))
        return dict(hit[0]), hit[1]

    def effective_config(self, stage: Stage, case_config: dict[str, Any]) -> dict[str, Any]:
        cfg = dict(stage.defaults)
        overrides = case_config.get(stage.name, {})
        unknown = set(overrides) - set(cfg)
        if unknown:
            raise ConfigError(f"stage {stage.name} has no setting(s) {sorted(unknown)}")
        cfg.update(overrides)
        return cfg


_default: Registry | None = None


def default_registry() -> Registry:
    """Every stage from every installed `sijill.stages` entry point."""
    global _default
    if _default is None:
        reg = Registry()
        eps = entry_points(group="sijill.stages")
        if not any(ep.name == "builtin" for ep in eps):
            # Running from a source tree without installed metadata.
            from sijill.pipeline.stages import builtin_stages

            for s in builtin_stages():
                reg.add(s)
        for ep in eps:
            for s in ep.load()():
                reg.add(s)
        _default = reg
    return _default
