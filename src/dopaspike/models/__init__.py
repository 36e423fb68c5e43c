"""Named networks from published models, built from the engine's parts."""
