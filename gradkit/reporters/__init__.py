"""Reporters: each reads the results model and writes one format. None computes a score."""
