"""Fitting the model to the 2015-2021 record: targets and loss, calibration, validation, identifiability."""
