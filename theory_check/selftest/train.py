"""Sabotages of the train engine (`theory_check.train`); each registered with `@sabotage`."""

from __future__ import annotations
