"""Adapters from outside datasets into distillguard's input contract (a world directory).

Each adapter reads a published dataset where it lies (never copied into the
repository) and writes events/, accounts.parquet, labels.parquet, truth.parquet
and world.json exactly as `distillguard simulate` does, so every later stage
runs on it unchanged.
"""
