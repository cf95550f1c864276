//! Throughput of the emulator through the real SDK (filled in below).
fn main() {}
