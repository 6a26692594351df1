//! Request bodies as the edge reads them: JSON into one of this crate's
//! request types, with serde's error turned into one catalog error naming
//! the field at fault. The value sent is never echoed back (it may be a
//! secret): serde's message is read only for its shape.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::catalog::CatalogError;

fn invalid(field: &str, reason: &str) -> CatalogError {
    CatalogError::InvalidField {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Parses a JSON object body into `T`.
///
/// # Errors
/// [`CatalogError::InvalidField`]: on `body` when the bytes are not JSON or
/// not an object; else on the field at fault (`azure.client_id` when nested)
/// when it is missing, unknown (where `T` denies unknown fields), of the
/// wrong type or value.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CatalogError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|_| invalid("body", "The request body is not valid JSON"))?;
    if !value.is_object() {
        return Err(invalid("body", "The request body must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let (field, reason) = describe(&e.path().to_string(), &e.inner().to_string());
        invalid(&field, reason)
    })
}

/// The field at fault and why, from serde's path and message.
fn describe(path: &str, message: &str) -> (String, &'static str) {
    let path = if path == "." || !path.split('.').all(is_field_name) {
        None
    } else {
        Some(path)
    };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name)
        .filter(|name| is_field_name(name));
    if let Some(name) = missing {
        let field = path.map_or_else(|| name.to_owned(), |p| format!("{p}.{name}"));
        return (field, "is required");
    }
    let field = path.unwrap_or("body").to_owned();
    let reason = if message.starts_with("unknown field `") {
        "is not a known field"
    } else if message.starts_with("unknown variant `") {
        "is not one of the accepted values"
    } else if message.starts_with("invalid type: ") {
        // The expectation is serde's own text, after the value sent.
        match message.rsplit_once(", expected ").map(|(_, e)| e) {
            Some("a string") => "must be text",
            Some("a boolean") => "must be true or false",
            Some(e) if e.starts_with("struct ") || e == "a map" => "must be an object",
            _ => "has the wrong type",
        }
    } else {
        "has an invalid value"
    };
    (field, reason)
}

/// A plausible JSON field name: what may be named back to the client.
fn is_field_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Form {
        name: String,
        #[serde(default)]
        on: bool,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        secret: String,
    }

    fn refusal(raw: &str) -> (String, String) {
        match parse_json::<Form>(raw.as_bytes()) {
            Err(CatalogError::InvalidField { field, reason }) => (field, reason),
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn the_whole_body_is_named_body() {
        for raw in ["", "{", "[]", "null", "42", "\"x\""] {
            assert_eq!(refusal(raw).0, "body", "{raw}");
        }
    }

    #[test]
    fn each_field_is_named() {
        assert_eq!(refusal("{}"), ("name".into(), "is required".into()));
        assert_eq!(
            refusal(r#"{"name": "n", "extra": 1}"#),
            ("extra".into(), "is not a known field".into())
        );
        assert_eq!(
            refusal(r#"{"name": 5}"#),
            ("name".into(), "must be text".into())
        );
        assert_eq!(
            refusal(r#"{"name": "n", "on": "yes"}"#),
            ("on".into(), "must be true or false".into())
        );
        assert_eq!(
            refusal(r#"{"name": "n", "inner": {}}"#),
            ("inner.secret".into(), "is required".into())
        );
        assert_eq!(
            refusal(r#"{"name": "n", "inner": {"secret": 1, "x": 2}}"#).0,
            "inner.secret"
        );
        assert_eq!(
            refusal(r#"{"name": "n", "inner": 3}"#),
            ("inner".into(), "must be an object".into())
        );
    }

    #[test]
    fn only_a_plausible_field_name_is_named_back() {
        let missing = |name: &str| describe("", &format!("missing field `{name}`"));
        let named = |name: &str| (name.to_owned(), "is required");
        for name in ["client_id", "x-ms-tag", "a", &"n".repeat(40)] {
            assert_eq!(missing(name), named(name), "{name}");
        }
        // Empty, too long, or with other characters: the body is named.
        for name in ["", &"n".repeat(41), "a b", "name!", "é"] {
            assert_eq!(
                missing(name),
                ("body".to_owned(), "has an invalid value"),
                "{name:?}"
            );
        }
    }

    #[test]
    fn a_wrong_type_says_what_was_expected_in_words() {
        let why = |expected: &str| {
            describe(
                "f",
                &format!("invalid type: integer `1`, expected {expected}"),
            )
            .1
        };
        assert_eq!(why("a string"), "must be text");
        assert_eq!(why("a boolean"), "must be true or false");
        assert_eq!(why("a map"), "must be an object");
        assert_eq!(why("struct Inner"), "must be an object");
        assert_eq!(why("u32"), "has the wrong type");
        assert_eq!(why("a sequence"), "has the wrong type");
    }

    #[test]
    fn values_are_never_echoed() {
        let secret = "hunter2-very-secret";
        for raw in [
            format!(r#"{{"name": "n", "on": "{secret}"}}"#),
            format!(r#"{{"name": "n", "inner": {{"secret": ["{secret}"]}}}}"#),
            format!(r#"{{"name": "n", "{secret} and more, expected a string": 1}}"#),
        ] {
            let (field, reason) = refusal(&raw);
            assert!(!field.contains(secret) && !reason.contains(secret), "{raw}");
        }
    }

    #[test]
    fn a_valid_body_parses() {
        let form: Form = parse_json(br#"{"name": "n", "inner": {"secret": "s"}}"#)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(form.name, "n");
        assert!(!form.on);
        assert!(form.inner.is_some_and(|i| i.secret == "s"));
    }
}
