"""The exact model driven by a story: step interpreters, snapshots, keepers, story outcomes."""
