"""Benchmarks of the engine on its real parts: `python -m bench` runs them all and prints
each figure beside a baseline measured in the same run (see bench/README.md)."""
