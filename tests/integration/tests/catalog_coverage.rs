//! Every catalog code comes out of at least one test that runs the real
//! thing (issue 18 item 5): an integration test here (worker in workerd and
//! the simulator), an end-to-end spec (tests/e2e) or a component test of
//! the app (app/tests). The codes are read from the catalog itself
//! (`CatalogError::code` in shared/src/catalog.rs and the ID-token codes of
//! shared/src/id_token.rs), so a new code cannot be forgotten; a code
//! counts as produced when one of those tests names it as a string literal
//! (what `assert_error`, a landing page or a status check expects). The
//! test lists every code none names, and fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The string literals after `=>` in the body of `fn name` of `src`.
fn codes_of_fn(src: &str, signature: &str) -> BTreeSet<String> {
    let start = src
        .find(signature)
        .unwrap_or_else(|| panic!("{signature} not found"));
    let body = &src[start..];
    // The function ends at the first line that closes it at its indent.
    let end = body.find("\n    }\n").unwrap_or(body.len());
    let mut codes = BTreeSet::new();
    let mut rest = &body[..end];
    while let Some(at) = rest.find("=> \"") {
        rest = &rest[at + 4..];
        if let Some(close) = rest.find('"') {
            codes.insert(rest[..close].to_owned());
            rest = &rest[close..];
        }
    }
    codes
}

/// Every code the catalog can answer.
fn catalog_codes() -> BTreeSet<String> {
    let mut codes = codes_of_fn(
        &read("shared/src/catalog.rs"),
        "pub fn code(&self) -> &'static str",
    );
    codes.extend(codes_of_fn(
        &read("shared/src/id_token.rs"),
        "pub fn code(self) -> &'static str",
    ));
    assert!(codes.len() > 60, "could not read the catalog: {codes:?}");
    assert!(
        codes.iter().all(|c| c
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')),
        "{codes:?}"
    );
    codes
}

/// The files of the tests that count, with their text.
fn test_sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (dir, ext) in [
        ("tests/integration/tests", "rs"),
        ("tests/e2e", "mjs"),
        ("app/tests", "rs"),
    ] {
        let entries =
            std::fs::read_dir(root().join(dir)).unwrap_or_else(|e| panic!("list {dir}: {e}"));
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.extension().and_then(|e| e.to_str()) != Some(ext)
                || name == "catalog_coverage.rs"
            {
                continue;
            }
            let rel = format!("{dir}/{name}");
            out.push((rel.clone(), read(&rel)));
        }
    }
    assert!(out.len() > 30, "too few test files: {}", out.len());
    out
}

#[test]
fn every_catalog_code_is_produced_by_some_test() {
    let sources = test_sources();
    let missing: Vec<String> = catalog_codes()
        .into_iter()
        .filter(|code| {
            let double = format!("\"{code}\"");
            let single = format!("'{code}'");
            !sources
                .iter()
                .any(|(_, text)| text.contains(&double) || text.contains(&single))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{} catalog code(s) that no integration, e2e or component test produces: {}",
        missing.len(),
        missing.join(", ")
    );
}

#[test]
fn the_code_reader_sees_known_codes() {
    // A reader that found nothing would make the check above vacuous.
    let codes = catalog_codes();
    for known in [
        "key_not_found",
        "forbidden_role",
        "oauth_state_used",
        "id_token_bad_signature",
        "internal",
    ] {
        assert!(codes.contains(known), "{known} not read from the catalog");
    }
}
