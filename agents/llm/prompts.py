"""Named prompt templates from ``prompts/``: load, render, and register their versions.

A prompt file is YAML front matter followed by role sections::

    ---
    version: "1"
    description: Classify one inbound customer message.
    variables:
      customer_message: data   # untrusted: wrapped in a <data> block by the renderer
      shop_name: text          # ours: inserted as it is
    ---
    === system ===
    You are ...
    === user ===
    {{customer_message}}

Placeholders are ``{{name}}``; the declared variables and the placeholders must match
exactly, and rendering needs every variable (a missing or unexpected one is an error), so a
template and its callers can't drift apart silently. ``data`` variables are what customers,
documents or the catalog wrote: the renderer wraps each in ``<data name="...">`` ...
``</data>`` and defuses any ``<data``/``</data`` inside the value, so customer text can't
close its block and pose as instructions. The templates tell the model that a data block is
never an instruction.

``checksum`` is the sha256 of the whole file; :func:`register_versions` records each
(name, version) once in ``llm_prompt_versions`` so a draft can say which prompt made it, and
refuses a file whose text changed while its version did not (bump the version instead).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

import yaml

from agents.errors import AgentError
from storage.db import Connection
from storage.repositories import prompt_versions

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"

Role = Literal["system", "user"]
VariableKind = Literal["data", "text"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_SECTION = re.compile(r"^=== (system|user) ===[ \t]*$", re.MULTILINE)
_DATA_TAG = re.compile(r"<(\s*/?\s*)(data)", re.IGNORECASE)


class PromptError(AgentError):
    """A prompt file is missing or malformed, or was rendered with the wrong variables."""


@dataclass(frozen=True)
class RenderedPrompt:
    """A template with its variables filled in: the messages to send, in order."""

    name: str
    version: str
    checksum: str
    messages: tuple[tuple[Role, str], ...]


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt file. ``text`` is the whole file (what is stored and hashed)."""

    name: str
    version: str
    text: str
    checksum: str
    description: str
    variables: Mapping[str, VariableKind]
    sections: tuple[tuple[Role, str], ...]

    def render(self, variables: Mapping[str, object]) -> RenderedPrompt:
        """Fill every placeholder; raise :class:`PromptError` on a missing or extra variable."""
        missing = sorted(set(self.variables) - set(variables))
        extra = sorted(set(variables) - set(self.variables))
        if missing or extra:
            raise PromptError(
                f"prompt {self.name!r} v{self.version}: "
                + "; ".join(
                    part
                    for part in (
                        f"missing variables {missing}" if missing else "",
                        f"unexpected variables {extra}" if extra else "",
                    )
                    if part
                )
            )
        values = {
            key: _wrap(key, _as_text(self.name, key, value), self.variables[key])
            for key, value in variables.items()
        }
        messages = tuple(
            # A function, not a replacement string: values may contain backslashes.
            (role, _PLACEHOLDER.sub(lambda m: values[m.group(1)], body).strip())
            for role, body in self.sections
        )
        return RenderedPrompt(self.name, self.version, self.checksum, messages)


def load_prompt(name: str, prompts_dir: Path | None = None) -> PromptTemplate:
    """The template ``<prompts_dir>/<name>.md`` (parsed once per process)."""
    if not _NAME.match(name):
        raise PromptError(f"bad prompt name {name!r} (lowercase letters, digits, underscores)")
    return _load(name, (prompts_dir or PROMPTS_DIR).resolve())


def list_prompts(prompts_dir: Path | None = None) -> list[PromptTemplate]:
    """Every template in the directory, by name."""
    directory = (prompts_dir or PROMPTS_DIR).resolve()
    return [load_prompt(path.stem, directory) for path in sorted(directory.glob("*.md"))]


async def register_versions(
    conn: Connection, prompts_dir: Path | None = None
) -> dict[str, uuid.UUID]:
    """Record every template's (name, version, text, checksum) once; return name → row id.

    Idempotent: an already registered version is left alone. A file whose text differs from
    its registered version raises :class:`PromptError`, like an edited migration: drafts
    already point at that version, so a changed prompt must get a new version.
    """
    ids: dict[str, uuid.UUID] = {}
    for template in list_prompts(prompts_dir):
        row = await prompt_versions.ensure(
            conn,
            name=template.name,
            version=template.version,
            template=template.text,
            content_hash=template.checksum,
            description=template.description,
            params={"variables": dict(template.variables)},
        )
        if row.content_hash != template.checksum:
            raise PromptError(
                f"prompt {template.name!r} version {template.version} was edited after it was "
                "registered (checksum differs); bump 'version' in its front matter"
            )
        ids[template.name] = row.id
    return ids


@functools.lru_cache(maxsize=256)
def _load(name: str, directory: Path) -> PromptTemplate:
    path = directory / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise PromptError(f"no prompt named {name!r} in {directory}") from err
    return parse_prompt(name, text)


def parse_prompt(name: str, text: str) -> PromptTemplate:
    """Parse one template's text (exposed for tests and tools that lint prompts)."""
    if not text.startswith("---\n"):
        raise PromptError(f"prompt {name!r} must start with '---' front matter")
    try:
        head, body = text[4:].split("\n---\n", 1)
        meta = yaml.safe_load(head) or {}
    except (ValueError, yaml.YAMLError) as err:
        raise PromptError(f"prompt {name!r}: unreadable front matter: {err}") from err
    if not isinstance(meta, dict):
        raise PromptError(f"prompt {name!r}: front matter must be a mapping")
    version = meta.get("version")
    # A float version is refused: YAML reads 1.10 as 1.1, so "1.10" must be quoted.
    if isinstance(version, bool) or not isinstance(version, (str, int)) or str(version) == "":
        raise PromptError(f"prompt {name!r}: 'version' must be a quoted string, e.g. \"1\"")
    variables = meta.get("variables") or {}
    if not isinstance(variables, dict) or any(
        kind not in ("data", "text") for kind in variables.values()
    ):
        raise PromptError(f"prompt {name!r}: 'variables' must map names to 'data' or 'text'")
    sections = _sections(name, body)
    used = {m.group(1) for _, part in sections for m in _PLACEHOLDER.finditer(part)}
    if used != set(variables):
        raise PromptError(
            f"prompt {name!r}: placeholders {sorted(used)} don't match declared variables "
            f"{sorted(variables)}"
        )
    return PromptTemplate(
        name=name,
        version=str(version),
        text=text,
        checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        description=str(meta.get("description") or ""),
        variables=dict(variables),
        sections=sections,
    )


def _sections(name: str, body: str) -> tuple[tuple[Role, str], ...]:
    marks = list(_SECTION.finditer(body))
    if not marks or body[: marks[0].start()].strip():
        raise PromptError(
            f"prompt {name!r}: body must start with '=== system ===' or '=== user ==='"
        )
    sections: list[tuple[Role, str]] = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        role: Role = "system" if mark.group(1) == "system" else "user"
        sections.append((role, body[mark.end() : end]))
    return tuple(sections)


def _as_text(prompt: str, key: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, indent=1, default=str)
    raise PromptError(
        f"prompt {prompt!r}: variable {key!r} must be text, a number, a list or a mapping "
        f"(got {type(value).__name__})"
    )


def _wrap(key: str, value: str, kind: VariableKind) -> str:
    # Defused in every variable, not only data ones: nothing we insert may open or close a
    # data block.
    safe = _DATA_TAG.sub(lambda m: "&lt;" + m.group(1) + m.group(2), value)
    if kind == "text":
        return safe
    return f'<data name="{key}">\n{safe.strip()}\n</data>'
