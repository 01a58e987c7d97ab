"""Sabotages of the flow engine (`theory_check.flow`); each registered with `@sabotage`."""

from __future__ import annotations
