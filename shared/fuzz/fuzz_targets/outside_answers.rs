//! Parsers of outside answers: the Bearer challenge, Key Vault / Entra /
//! Google error bodies, GET-key answers and consent callbacks never panic.
#![no_main]

use keyswitch_shared::entra::{EntraApp, map_consent_error, map_entra_token_error};
use keyswitch_shared::google::map_google_directory_error;
use keyswitch_shared::key_check::{KeyPolicy, check_key};
use keyswitch_shared::keyvault::{
    KeyBundle, decode_base64url_lenient, map_key_vault_error, parse_bearer_challenge,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&status_byte, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    let status = 400 + u16::from(status_byte);
    if let Some(c) = parse_bearer_challenge(s) {
        let _ = c.tenant_id();
    }
    let _ = map_key_vault_error(status, s, Some(s)).body();
    let _ = map_entra_token_error(status, s, EntraApp::Connector).body();
    let _ = map_consent_error(s, Some(s)).body();
    let _ = map_google_directory_error(status, s).body();
    let _ = decode_base64url_lenient(s);
    if let Ok(bundle) = serde_json::from_str::<KeyBundle>(s) {
        let _ = check_key(&bundle, KeyPolicy::ManageKms, i64::from(status_byte));
    }
});
