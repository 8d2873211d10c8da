"""deploy/Dockerfile read as stages of instructions (with dockerfile-parse), for
the image's tests."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def values(self, instruction: str) -> list[str]:
        return [v for i, v in self.instructions if i == instruction]

    def env(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for value in self.values("ENV"):
            for item in shlex.split(value):
                key, _, val = item.partition("=")
                found[key] = val
        return found

    def volumes(self) -> list[str]:
        found: list[str] = []
        for value in self.values("VOLUME"):
            found.extend(json.loads(value) if value.startswith("[") else value.split())
        return found

    def after(self, instruction: str) -> list[tuple[str, str]]:
        """The instructions that follow the last `instruction` of the stage."""
        names = [i for i, _ in self.instructions]
        last = len(names) - 1 - names[::-1].index(instruction)
        return self.instructions[last + 1 :]


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    parser = DockerfileParser(path=str(path))
    found: list[Stage] = []
    for item in parser.structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "FROM":
            base, _, name = value.partition(" AS ")
            found.append(Stage(base.strip(), name.strip()))
        elif instruction != "COMMENT" and found:
            found[-1].instructions.append((instruction, value))
    return found


def copied_sources(stage: Stage) -> list[str]:
    """What the stage's COPY instructions take from the build context."""
    sources: list[str] = []
    for value in stage.values("COPY"):
        parts = [p for p in shlex.split(value) if not p.startswith("--")]
        if any(p.startswith("--from") for p in shlex.split(value)):
            continue
        sources.extend(parts[:-1])
    return sources
