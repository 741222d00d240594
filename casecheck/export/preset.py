"""Presets shipped inside the package: a complete config and a rule pack for a public export shape.

A council's casecheck.yaml names one (`preset: ssda903`, or `--preset` on the command line) and
is deep-merged over it: mappings merge key by key, lists and single values replace. The merged
settings are then validated as one config, so a mistake still names the council file's key and
line.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from casecheck.errors import ConfigError
from casecheck.yamlfile import read_yaml


@dataclass(frozen=True)
class Preset:
    """One public export shape: its config file and rule pack inside casecheck/export/presets/."""

    name: str
    title: str
    signature: tuple[str, ...]  # file names (without .csv) that identify the shape in a folder

    @property
    def folder(self) -> Path:
        return Path(str(resources.files("casecheck"))) / "export" / "presets"

    @property
    def config_file(self) -> Path:
        return self.folder / f"{self.name}.yaml"

    @property
    def rules(self) -> Path:
        return self.folder / self.name / "rules"


PRESETS: dict[str, Preset] = {
    "ssda903": Preset(
        name="ssda903",
        title="DfE SSDA903 return (children looked after)",
        signature=("header", "episodes"),
    ),
    "ssd": Preset(
        name="ssd",
        title="Data to Insight Standard Safeguarding Dataset",
        signature=("ssd_person", "ssd_involvements"),
    ),
}


def preset(name: str, where: str, at: str = "") -> Preset:
    """The preset called `name`; an unknown name is a ConfigError naming `where` and the presets."""
    found = PRESETS.get(str(name).strip().casefold())
    if found is None:
        raise ConfigError(
            where,
            f'{at}unknown preset "{name}" (the presets are: {", ".join(PRESETS)})',
            "Correct its spelling, or remove it to describe the export yourself.",
        )
    return found


def preset_settings(found: Preset) -> dict[str, Any]:
    """The preset's own settings, as read from its YAML file."""
    data = read_yaml(found.config_file, ConfigError).data  # read as a council's file is
    assert isinstance(data, dict), f"{found.config_file} is not a mapping"
    return data


def merge(base: Any, override: Any) -> Any:
    """Deep-merge mappings key by key; anything else in `override` replaces what `base` had."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    return override
