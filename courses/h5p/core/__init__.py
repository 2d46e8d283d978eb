"""The plain-Python core of the H5P engine (no Django): read, validate, re-score."""
