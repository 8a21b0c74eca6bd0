"""Analyses of model output: landscape theory of aggregation."""
