"""Shared test set-up."""

pytest_plugins = ["pytester"]
