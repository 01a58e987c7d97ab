"""Sabotages of the moments engine (`theory_check.moments`); each registered with `@sabotage`."""

from __future__ import annotations
