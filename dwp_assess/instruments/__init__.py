"""Instruments as data: the instrument model, loading and validation, the message catalogue.

The lowest layer above the project settings: it knows nothing of stores, analyses or reports.
"""
