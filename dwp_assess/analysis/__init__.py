"""Analysis: scoring, statistics, profiles per organisation and team, privacy rules and
recommendations. Statistics take DataFrames; the round analysis reads the store once."""
