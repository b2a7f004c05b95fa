"""The data language (pydantic): protocol, story, AMM, oracle, path and perp file schemas."""
