//! Azure REST specification examples parse into the simulator's own types.

use keyswitch_sim::keyvault::model::{KeyBundle, KeyOperationResult, KeyOperationsParameters};
use serde_json::Value;

fn example(name: &str) -> Value {
    let path = format!(
        "{}/fixtures/azure-rest-api-specs/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("json")
}

#[test]
fn get_key_example_parses_as_key_bundle() {
    let ex = example("GetKey-example.json");
    let bundle: KeyBundle =
        serde_json::from_value(ex["responses"]["200"]["body"].clone()).expect("KeyBundle");
    assert_eq!(bundle.key.kty.as_deref(), Some("RSA"));
    assert_eq!(bundle.key.e.as_deref(), Some("AQAB"));
    assert!(
        bundle
            .key
            .kid
            .as_deref()
            .is_some_and(|k| k.ends_with("/78deebed173b48e48f55abf87ed4cf71"))
    );
    assert_eq!(
        bundle.attributes.recovery_level.as_deref(),
        Some("Recoverable+Purgeable")
    );
    assert_eq!(bundle.attributes.created, Some(1493942451));
    // And our serialisation keeps the wire names.
    let back = serde_json::to_value(&bundle).expect("ser");
    assert_eq!(back["attributes"]["recoveryLevel"], "Recoverable+Purgeable");
    assert_eq!(back["key"]["key_ops"][4], "wrapKey");
}

#[test]
fn wrap_and_unwrap_examples_parse() {
    for name in ["wrapKey-example.json", "unwrapKey-example.json"] {
        let ex = example(name);
        let req: KeyOperationsParameters =
            serde_json::from_value(ex["parameters"]["parameters"].clone()).expect("params");
        assert_eq!(req.alg, "RSA1_5");
        assert!(keyswitch_sim::util::b64_decode_tolerant(&req.value).is_some());
        let resp: KeyOperationResult =
            serde_json::from_value(ex["responses"]["200"]["body"].clone()).expect("result");
        assert!(resp.kid.contains("/keys/sdktestkey/"));
        assert!(keyswitch_sim::util::b64_decode_tolerant(&resp.value).is_some());
    }
}
