"""The only part of the package that talks to a chain (imports ape). Import it from scripts and tests."""
