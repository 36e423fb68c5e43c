"""Analyses of recorded activity, separate from simulating it."""
