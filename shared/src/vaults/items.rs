//! Items (accounts and secrets) stored in a vault: their parsed content and
//! how they are stored (nothing readable without the vault key).

use serde::{Deserialize, Serialize};

use super::base64_bytes;
use super::forms::ItemForm;
use super::ids::{ItemId, VaultId};
use super::views::ItemSummary;
use crate::catalog::CatalogError;

/// Longest item name, in characters.
pub const ITEM_NAME_MAX: usize = 128;
/// Longest item secret (password or secret value), in bytes.
pub const ITEM_SECRET_MAX: usize = 8 * 1024;
/// Longest other item text field (username, URL, notes), in bytes.
pub const ITEM_TEXT_MAX: usize = 4 * 1024;

/// What kind of item a vault holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// An account: name, username, password, URL.
    Account,
    /// A secret: name and value.
    Secret,
}

fn invalid(field: &str, reason: &str) -> CatalogError {
    CatalogError::InvalidField {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

/// An item's content after parsing: a trimmed name of 1–128 characters, a
/// secret of 1 byte to 8 KiB, other text at most 4 KiB, and no username or
/// URL on a secret. `Debug` redacts the secret; not `Serialize` (it is
/// written only as [`ItemContent::to_form`], sealed).
#[derive(Clone, PartialEq, Eq)]
pub struct ItemContent {
    form: ItemForm,
}

impl core::fmt::Debug for ItemContent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.form.fmt(f)
    }
}

impl ItemContent {
    /// Parses an item form.
    ///
    /// # Errors
    /// [`CatalogError::InvalidField`] naming the field.
    pub fn parse(form: &ItemForm) -> Result<Self, CatalogError> {
        let mut form = form.clone();
        form.name = form.name.trim().to_owned();
        if form.name.is_empty() {
            return Err(invalid("name", "Enter a name for the item"));
        }
        if form.name.chars().count() > ITEM_NAME_MAX || form.name.chars().any(char::is_control) {
            return Err(invalid(
                "name",
                "The item name must be at most 128 characters, without control characters",
            ));
        }
        if form.secret.is_empty() {
            return Err(invalid("secret", "Enter the password or secret value"));
        }
        if form.secret.len() > ITEM_SECRET_MAX {
            return Err(invalid("secret", "The secret must be at most 8 KiB"));
        }
        for (field, value) in [
            ("username", &form.username),
            ("url", &form.url),
            ("notes", &form.notes),
        ] {
            if value.as_ref().is_some_and(|v| v.len() > ITEM_TEXT_MAX) {
                return Err(invalid(field, "This field must be at most 4 KiB"));
            }
        }
        if form.kind == ItemKind::Secret && (form.username.is_some() || form.url.is_some()) {
            return Err(invalid(
                "kind",
                "A secret has a name, a value and notes; store an account to keep a username or URL",
            ));
        }
        Ok(Self { form })
    }

    /// Account or secret.
    #[must_use]
    pub fn kind(&self) -> ItemKind {
        self.form.kind
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.form.name
    }

    /// The content as the API shows a read item (and as it is sealed).
    ///
    /// **Warning:** holds the secret; only seal it or answer the reader.
    #[must_use]
    pub fn to_form(&self) -> ItemForm {
        self.form.clone()
    }
}

/// An item as stored: the data key sealed by the vault key and the content
/// sealed by the data key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredItem {
    /// The item's id.
    pub id: ItemId,
    /// The vault holding it.
    pub vault_id: VaultId,
    /// Account or secret.
    pub kind: ItemKind,
    /// When it was stored (Unix milliseconds).
    pub created_at_ms: u64,
    /// Who stored it (display name).
    pub created_by: String,
    /// The data key sealed by the vault key (base64 in storage).
    #[serde(with = "base64_bytes")]
    pub wrapped_data_key: Vec<u8>,
    /// The content sealed by the data key (base64 in storage).
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
}

impl StoredItem {
    /// The listing row (nothing secret).
    #[must_use]
    pub fn summary(&self) -> ItemSummary {
        ItemSummary {
            id: self.id.as_str().to_owned(),
            vault_id: self.vault_id.as_str().to_owned(),
            kind: self.kind,
            created_at_ms: self.created_at_ms,
            created_by: self.created_by.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> ItemForm {
        ItemForm {
            kind: ItemKind::Account,
            name: "mail".into(),
            username: Some("u".into()),
            secret: "s".into(),
            url: Some("https://mail.example".into()),
            notes: None,
        }
    }

    #[test]
    fn each_limit_accepts_its_edge_and_refuses_one_past_it() {
        let field = |f: &ItemForm| f.parse().err().and_then(|e| e.field());
        // The name: 128 characters (not bytes), no control character.
        let mut f = account();
        f.name = "é".repeat(ITEM_NAME_MAX);
        assert_eq!(field(&f), None);
        f.name = "é".repeat(ITEM_NAME_MAX + 1);
        assert_eq!(field(&f).as_deref(), Some("name"));
        f.name = "mail\u{7}".into();
        assert_eq!(field(&f).as_deref(), Some("name"));
        // The secret: 8 KiB.
        let mut f = account();
        f.secret = "s".repeat(8 * 1024);
        assert_eq!(field(&f), None);
        f.secret.push('s');
        assert_eq!(field(&f).as_deref(), Some("secret"));
        // Username, URL and notes: 4 KiB each.
        for name in ["username", "url", "notes"] {
            for (len, refused) in [(4 * 1024, false), (4 * 1024 + 1, true)] {
                let mut f = account();
                let value = Some("x".repeat(len));
                match name {
                    "username" => f.username = value,
                    "url" => f.url = value,
                    _ => f.notes = value,
                }
                let want = refused.then(|| name.to_owned());
                assert_eq!(field(&f), want, "{name} of {len} bytes");
            }
        }
    }

    #[test]
    fn parsed_content_shows_the_form_with_its_secret_redacted() {
        let content = account().parse().unwrap();
        let shown = format!("{content:?}");
        assert!(
            shown.contains("ItemForm") && shown.contains("mail"),
            "{shown}"
        );
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn item_form_parses() {
        let f = ItemForm {
            kind: ItemKind::Secret,
            name: " api ".into(),
            username: None,
            secret: "s".into(),
            url: None,
            notes: None,
        };
        let content = f.parse().unwrap();
        assert_eq!(content.name(), "api");
        assert_eq!(content.to_form().name, "api");
        assert!(!format!("{f:?}").contains("\"s\""));
        assert!(!format!("{content:?}").contains("\"s\""));
        let mut g = f.clone();
        g.secret = String::new();
        assert_eq!(g.parse().unwrap_err().field().as_deref(), Some("secret"));
        let mut h = f.clone();
        h.username = Some("u".into());
        assert_eq!(h.parse().unwrap_err().field().as_deref(), Some("kind"));
        let mut i = f;
        i.notes = Some("n".repeat(ITEM_TEXT_MAX + 1));
        assert_eq!(i.parse().unwrap_err().field().as_deref(), Some("notes"));
    }

    #[test]
    fn stored_items_keep_their_storage_shape() {
        let item = StoredItem {
            id: ItemId::from_random([1; 16]),
            vault_id: VaultId::from_random([2; 16]),
            kind: ItemKind::Account,
            created_at_ms: 5,
            created_by: "Ann".into(),
            wrapped_data_key: vec![1, 2, 3],
            content: vec![4, 5],
        };
        let v = serde_json::to_value(&item).unwrap();
        assert_eq!(v["wrapped_data_key"], "AQID");
        assert_eq!(v["content"], "BAU=");
        assert_eq!(v["kind"], "account");
        assert_eq!(serde_json::from_value::<StoredItem>(v).unwrap(), item);
    }
}
