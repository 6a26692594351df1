//! Commands an Azure admin runs as they are copied: every value filled in
//! from what keyswitch knows (vault, key, cloud, the principal to grant),
//! everything else derived by the commands themselves (the vault's resource
//! id with `az keyvault show`, the service principal's object id with
//! `az ad sp show`), for each tool an Azure team may use: the Azure CLI,
//! Azure PowerShell, Terraform and Bicep (docs/PRODUCT.md, "Runnable
//! commands").
//!
//! Pure text building (no I/O): the edge sends the tabs with its guidance
//! and its catalog errors, the SPA shows them with copy buttons.

use serde::{Deserialize, Serialize};

use crate::vault_uri::{Cloud, VaultUri};

pub mod expiry;
pub mod recover;
pub mod role;
pub mod tag;

/// A tool an admin may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    /// The Azure CLI (`az`), in bash or zsh.
    AzureCli,
    /// Azure PowerShell (the `Az` modules).
    AzurePowershell,
    /// Terraform with the `azurerm` and `azuread` providers.
    Terraform,
    /// Bicep, deployed with the Azure CLI.
    Bicep,
}

impl Tool {
    /// Its name, as a tab title.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Tool::AzureCli => "Azure CLI",
            Tool::AzurePowershell => "Azure PowerShell",
            Tool::Terraform => "Terraform",
            Tool::Bicep => "Bicep",
        }
    }
}

/// The language of one block (what checks it, how it is highlighted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// bash (or zsh): pasted into a terminal.
    Shell,
    /// PowerShell.
    Powershell,
    /// HashiCorp configuration language (a `.tf` file).
    Hcl,
    /// A `.bicep` file.
    Bicep,
}

/// One copyable block: commands to paste, or a file to save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandBlock {
    /// What it is, e.g. "Run" or "Save as keyswitch-role.tf".
    pub label: String,
    /// Its language.
    pub lang: Lang,
    /// The file name to save it as, for a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The text, complete: no placeholder to replace.
    pub text: String,
}

/// The commands for one tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandTab {
    /// The tool.
    pub tool: Tool,
    /// The blocks, in order (empty when the tool cannot do it: `note` says
    /// why and what to use instead).
    pub blocks: Vec<CommandBlock>,
    /// What to know before running them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CommandTab {
    /// The tab's blocks as one text (for a catalog `fix` or a log).
    #[must_use]
    pub fn text(&self) -> String {
        self.blocks
            .iter()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A block of shell commands to run.
pub(crate) fn shell(text: String) -> CommandBlock {
    CommandBlock {
        label: "Run in bash or zsh".to_owned(),
        lang: Lang::Shell,
        file: None,
        text,
    }
}

/// A block of PowerShell to run.
pub(crate) fn powershell(text: String) -> CommandBlock {
    CommandBlock {
        label: "Run in PowerShell".to_owned(),
        lang: Lang::Powershell,
        file: None,
        text,
    }
}

/// A file to save.
pub(crate) fn file(name: &str, lang: Lang, text: String) -> CommandBlock {
    CommandBlock {
        label: format!("Save as {name}"),
        lang,
        file: Some(name.to_owned()),
        text,
    }
}

/// The Azure CLI's sign-in to a sovereign cloud (nothing for the public
/// cloud: the CLI's default).
pub(crate) fn az_cloud(cloud: Cloud) -> String {
    match cloud {
        Cloud::Public => String::new(),
        other => format!(
            "# The vault is in {}: point the Azure CLI at that cloud and sign in there\naz cloud set --name {}\naz login\n\n",
            other.name(),
            other.az_cloud_name()
        ),
    }
}

/// Azure PowerShell's sign-in to a sovereign cloud (its environment names
/// are the Azure CLI's cloud names).
pub(crate) fn ps_cloud(cloud: Cloud) -> String {
    match cloud {
        Cloud::Public => String::new(),
        other => format!(
            "# The vault is in {}: sign in to that cloud\nConnect-AzAccount -Environment {}\n\n",
            other.name(),
            other.az_cloud_name()
        ),
    }
}

/// The `environment` of Terraform's azurerm and azuread providers.
pub(crate) fn tf_environment(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Public => "public",
        Cloud::China => "china",
        Cloud::UsGovernment => "usgovernment",
    }
}

/// `--vault-name` or `--hsm-name`, and the name, for `az keyvault key …`.
pub(crate) fn az_vault_arg(vault: &VaultUri) -> String {
    match vault.kind() {
        crate::vault_uri::VaultKind::KeyVault => format!("--vault-name {}", vault.vault_name()),
        crate::vault_uri::VaultKind::ManagedHsm => format!("--hsm-name {}", vault.vault_name()),
    }
}

/// `-VaultName` or `-HsmName`, and the name, for the `Az.KeyVault` key
/// cmdlets.
pub(crate) fn ps_vault_arg(vault: &VaultUri) -> String {
    match vault.kind() {
        crate::vault_uri::VaultKind::KeyVault => format!("-VaultName '{}'", vault.vault_name()),
        crate::vault_uri::VaultKind::ManagedHsm => format!("-HsmName '{}'", vault.vault_name()),
    }
}

/// One `az keyvault key …` command for the vault's kind and cloud, as one
/// line for a catalog `fix` (the sovereign cloud's `az cloud set` first).
#[must_use]
pub fn az_key_command(vault: &VaultUri, rest: &str) -> String {
    let cloud = vault.cloud();
    let set = match cloud {
        Cloud::Public => String::new(),
        other => format!(
            "az cloud set --name {} && az login && ",
            other.az_cloud_name()
        ),
    };
    format!("{set}az keyvault key {rest}")
}

#[cfg(test)]
pub(crate) mod checks {
    //! What every block must satisfy, whatever the tool.

    use super::CommandTab;

    /// No `<placeholder>`, no `…`, brackets and quotes balanced.
    pub fn well_formed(tabs: &[CommandTab]) {
        for tab in tabs {
            assert!(
                !tab.blocks.is_empty() || tab.note.is_some(),
                "{:?} has neither blocks nor a note",
                tab.tool
            );
            for b in &tab.blocks {
                let t = &b.text;
                assert!(!has_placeholder(t), "placeholder in {t}");
                assert!(!t.contains('…'), "ellipsis in {t}");
                for (open, close) in [('{', '}'), ('(', ')'), ('[', ']')] {
                    assert_eq!(
                        t.matches(open).count(),
                        t.matches(close).count(),
                        "{open}{close} unbalanced in {t}"
                    );
                }
                for line in t
                    .lines()
                    .filter(|l| !l.trim_start().starts_with(['#', '/']))
                {
                    assert_eq!(line.matches('"').count() % 2, 0, "odd \" in {line}");
                    assert_eq!(line.matches('\'').count() % 2, 0, "odd ' in {line}");
                }
                assert!(t.ends_with('\n'), "no final newline: {t}");
            }
        }
    }

    /// `<word>` or `<word-word>` style placeholders.
    fn has_placeholder(t: &str) -> bool {
        t.split('<').skip(1).any(|rest| {
            rest.split_once('>').is_some_and(|(inside, _)| {
                !inside.is_empty()
                    && inside
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ' ')
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tool_is_titled_as_its_tab_shows_it() {
        let titles = [
            Tool::AzureCli,
            Tool::AzurePowershell,
            Tool::Terraform,
            Tool::Bicep,
        ]
        .map(Tool::title);
        assert_eq!(
            titles,
            ["Azure CLI", "Azure PowerShell", "Terraform", "Bicep"]
        );
    }
}
