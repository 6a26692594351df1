//! The split build (feature `split`) links the console with its relocations
//! kept: `scripts/split_wasm.py` needs them to move code between modules.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_SPLIT").is_some() {
        println!("cargo::rustc-link-arg-bins=--emit-relocs");
    }
}
