"""The ground every layer stands on: located problems, slugs, fingerprints, words."""
