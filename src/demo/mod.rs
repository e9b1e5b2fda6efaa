//! Deterministic synthetic practices for demos and benchmarks.
