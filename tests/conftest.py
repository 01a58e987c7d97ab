"""Test configuration: hypothesis profile from HYPOTHESIS_PROFILE (default `ci`, derandomized)."""

import os

import matplotlib
from hypothesis import settings

from theory_check.strategies import register_profiles

matplotlib.use("Agg")
register_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
