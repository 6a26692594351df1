//! Every id parser: never panics, and what it accepts is a fixed point
//! (parsing the normalised text gives the same value back).
#![no_main]

use std::str::FromStr;

use keyswitch_shared::{
    CatalogError, ClientId, CompanyId, GoogleCustomerId, GoogleDomain, KeyId, KeyName, TenantId,
    ValidationError, VaultUri,
};
use libfuzzer_sys::fuzz_target;

fn fixed_point<T>(s: &str)
where
    T: FromStr<Err = ValidationError> + AsRef<str> + PartialEq + std::fmt::Debug,
{
    match s.parse::<T>() {
        Ok(v) => {
            let again: T = v.as_ref().parse().unwrap_or_else(|e| panic!("{v:?} no longer parses: {e}"));
            assert_eq!(again, v);
        }
        Err(e) => {
            // Every refusal has a message, a fix and a catalog entry.
            let c = CatalogError::from(e.clone());
            assert!(!e.to_string().is_empty() && !e.fix().is_empty());
            assert!((400..500).contains(&c.status()));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    fixed_point::<VaultUri>(s);
    fixed_point::<KeyId>(s);
    fixed_point::<KeyName>(s);
    fixed_point::<TenantId>(s);
    fixed_point::<ClientId>(s);
    fixed_point::<GoogleCustomerId>(s);
    fixed_point::<GoogleDomain>(s);
    fixed_point::<CompanyId>(s);
    if let Ok(uri) = s.parse::<VaultUri>() {
        assert!(!uri.as_str().ends_with('/'));
        assert!(!uri.vault_name().is_empty());
        let _ = uri.token_scope();
    }
    if let Ok(kid) = s.parse::<KeyId>() {
        let rebuilt = KeyId::new(&kid.vault(), &kid.name(), kid.version().as_ref());
        assert_eq!(rebuilt, kid);
    }
    let _ = keyswitch_shared::ClientSecret::new(s).map(|x| format!("{x:?}"));
});
