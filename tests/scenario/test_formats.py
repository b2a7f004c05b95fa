"""docs/formats.md and docs/schemas/*.json are generated from the file models and kept current."""

from __future__ import annotations

import json

from protocol_model.sim.formats import FILE_MODELS, REPO, render, schemas


def test_schemas_are_current():
    for kind, schema in schemas().items():
        committed = json.loads((REPO / "docs" / "schemas" / f"{kind}.json").read_text())
        assert committed == schema, f"docs/schemas/{kind}.json is stale: run `protocol-model formats`"


def test_formats_page_is_current():
    assert (REPO / "docs" / "formats.md").read_text() == render(schemas()), \
        "docs/formats.md is stale: run `protocol-model formats` (or `make formats`)"


def test_every_kind_and_every_field_is_documented():
    page = (REPO / "docs" / "formats.md").read_text()
    for kind, model in FILE_MODELS.items():
        assert f"## `kind: {kind}`" in page
        for name, field in model.model_fields.items():
            assert f"| `{field.alias or name}` |" in page, (kind, name)
    assert "| `liquidation_threshold` | integer or string | share:" in page
