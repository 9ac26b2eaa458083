"""The configuration error for an environment value that pydantic-settings could not decode.

pydantic-settings reads a list, mapping or section given in the environment as JSON; when the
value is not JSON it raises ``SettingsError`` naming only the top-level section ("llm"), with a
traceback. This finds the variable(s) to blame and says what they take.
"""

from __future__ import annotations

import json
import os
import re
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_settings import NoDecode, SettingsError


def describe_undecodable_env(err: SettingsError, settings_cls: type[BaseModel], prefix: str) -> str:
    """pydantic-settings names only the section ("llm"); name the variable instead."""
    found = re.search(r'field "([^"]+)"', str(err))
    section = found.group(1) if found else ""
    section_prefix = f"{prefix}{section.upper()}__"  # e.g. TRADEMATE__LLM__
    lines = ["invalid configuration:"]
    for name in sorted(os.environ):
        value = os.environ[name]
        if not name.upper().startswith(section_prefix) or _is_json(value):
            continue
        kind = _json_kind(settings_cls, section, name[len(section_prefix) :].lower().split("__"))
        if kind == "list":
            example = json.dumps([part.strip() for part in value.split(",")], ensure_ascii=False)
            lines.append(f"  {name}: a list takes JSON, e.g. '{example}', got {value!r}")
        elif kind == "mapping":
            lines.append(f"  {name}: a mapping takes JSON, e.g. '{{\"key\": 1}}', got {value!r}")
    if len(lines) == 1:  # could not tell which one: at least say where to look
        lines.append(f"  {section_prefix}*: a value could not be read ({err}); lists take JSON")
    return "\n".join(lines)


def _json_kind(settings_cls: type[BaseModel], section: str, keys: list[str]) -> str | None:
    """ "list" or "mapping" when the setting at section.keys is read from the environment as
    JSON (a list, a dict or a whole section), else None."""
    field = settings_cls.model_fields.get(section)
    annotation: Any = field.annotation if field else None
    for key in keys:
        annotation = _strip_optional(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            inner = annotation.model_fields.get(key)
            if inner is None or any(m is NoDecode for m in inner.metadata):
                return None  # unknown, or read from plain text by its own validator
            annotation = inner.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return None
    annotation = _strip_optional(annotation)
    if typing.get_origin(annotation) is list:
        return "list"
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return "mapping" if is_model or typing.get_origin(annotation) is dict else None


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True
