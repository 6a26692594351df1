//! Which screen the address names. The console has three screens; moving
//! between them in the page is `navigation`'s (a path signal, pushState,
//! popstate). Issue 15: no client-side router in the download.

/// A screen of the console, with the id its path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// `/`: where Key Management lives.
    Home,
    /// `/companies/{company}/kms`: Manage KMS.
    ManageKms(String),
    /// `/workspaces/{workspace}/vaults`: Vault management.
    Vaults(String),
    /// Any other path.
    NotFound,
}

impl Screen {
    /// The screen `path` names (one trailing slash is allowed; ids are
    /// percent-decoded, and one that does not decode names no screen).
    #[must_use]
    pub fn of_path(path: &str) -> Self {
        let path = match path.strip_suffix('/') {
            Some(p) if !p.is_empty() && !p.ends_with('/') => p,
            _ => path,
        };
        let Some(rest) = path.strip_prefix('/') else {
            return Self::NotFound;
        };
        let segments: Vec<&str> = rest.split('/').collect();
        match segments.as_slice() {
            [""] => Self::Home,
            ["companies", id, "kms"] => decode(id).map_or(Self::NotFound, Self::ManageKms),
            ["workspaces", id, "vaults"] => decode(id).map_or(Self::NotFound, Self::Vaults),
            _ => Self::NotFound,
        }
    }
}

/// This page's path (`/` when it cannot be read).
#[must_use]
pub fn current_path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".to_owned())
}

fn decode(id: &str) -> Option<String> {
    if id.is_empty() {
        return None;
    }
    js_sys::decode_uri_component(id).ok().map(String::from)
}
