"""Models from outside the zoo for tests/export/pt2.py, built from code with seeded weights."""
MODELS = {}
