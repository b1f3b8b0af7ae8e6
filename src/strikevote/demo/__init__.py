"""The simulated vote of ``strikevote demo`` (DESIGN.md §8), run through the real services."""
