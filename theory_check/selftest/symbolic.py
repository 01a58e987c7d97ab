"""Sabotages of the symbolic engine (`theory_check.symbolic`); each registered with `@sabotage`."""

from __future__ import annotations
