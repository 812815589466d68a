"""Views: how a plan, an apply and the state are shown, one view per output format, chosen once by the command
line (`--format`). The renderers here are pure (they return strings and documents); `reconciler.cli._views` holds
the view objects that print them.

    text      people at a terminal (`text.py`): Terraform's layout, colour only on a terminal
    json      one document, or one object per line for apply (`documents.py`)
    markdown  pull-request comments and step summaries (`markdown.py`)
    gitlab    GitLab's Terraform report, `plan` and `show` only (`documents.py`)
    github    GitHub Actions annotations, `validate` only (`documents.py`)
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Format"]

Format = Literal["text", "json", "markdown", "gitlab", "github"]
