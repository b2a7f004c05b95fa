"""Shared fixtures. Chain fixtures come from ape's pytest plugin (`accounts`, `project`, `chain`)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def math_harness(project, admin):
    return admin.deploy(project.MathHarness)
