"""The JSON Schema of the configuration file, generated from the models, for editors.

VS Code's TOML extension (Even Better TOML, on Taplo) checks and completes a file against it: put
`#:schema ./recordings.schema.json` on the file's first line, or associate the schema in the settings.
Cross-field rules (sftp credentials, several active recordings, …) are beyond JSON Schema: `reconciler
validate` checks those.
"""

from __future__ import annotations

from typing import Any

from reconciler.config._models import FILE_ADAPTER

__all__ = ["ENV_REFERENCE_PATTERN", "SCHEMA_DIALECT", "config_json_schema"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


# A string that holds a `${env:NAME}` reference: its value is only known when the file is loaded.
ENV_REFERENCE_PATTERN = r"\$\{env:[A-Za-z_][A-Za-z0-9_]*\}"


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a configuration file."""
    generated = FILE_ADAPTER.json_schema()
    _close_keyed_tables(generated)
    _allow_env_references(generated)
    generated["title"] = "reconciler configuration"
    return {"$schema": SCHEMA_DIALECT, **generated}


def _allow_env_references(node: Any) -> None:
    """A string with a pattern (a UUID, a URL) may be written as `${env:NAME}` in the file: accept it. (And
    descriptions, from docstrings, lose their line breaks.)"""
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):  # docstrings wrap lines: an editor shows one paragraph
            node["description"] = " ".join(node["description"].split())
        if node.get("type") == "string" and "pattern" in node:
            node["anyOf"] = [{"pattern": node.pop("pattern")}, {"pattern": ENV_REFERENCE_PATTERN}]
        for key, value in node.items():
            if key not in ("propertyNames", "patternProperties"):  # keys are never references
                _allow_env_references(value)


def _close_keyed_tables(node: Any) -> None:
    """Keyed tables (`meetings`, `recordings`) come out as `patternProperties` only, which lets a key that
    breaks the pattern through; refuse it, as the models do."""
    if isinstance(node, dict):
        if "patternProperties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close_keyed_tables(value)
    elif isinstance(node, list):
        for value in node:
            _close_keyed_tables(value)
