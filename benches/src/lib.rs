//! Benchmarks of the loadpilot control loop live in `benches/`; this crate has no library code.
