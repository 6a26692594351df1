//! A key that expires soon: move its expiration date on, or rotate it (a
//! new version; keyswitch re-wraps the company key with it by itself), with
//! the Azure CLI or Azure PowerShell, in a Key Vault or a Managed HSM of
//! the vault's cloud. (Terraform and Bicep manage keys they created: an
//! expiry of a key they do not manage is a one-off change, so only the two
//! command-line tools are offered.)

use super::{CommandBlock, CommandTab, Lang, Tool, az_cloud, az_vault_arg, ps_cloud, ps_vault_arg};
use crate::vault_uri::VaultUri;

/// What to change: the key (its current version, when known) and the new
/// expiration date.
#[derive(Debug, Clone, Copy)]
pub struct Expiry<'a> {
    /// The vault (or Managed HSM).
    pub vault: &'a VaultUri,
    /// The key's name.
    pub key: &'a str,
    /// The version whose date moves (its current one), when known.
    pub version: Option<&'a str>,
    /// The new date, ISO 8601 (`2027-06-01T00:00:00Z`).
    pub expires: &'a str,
}

impl Expiry<'_> {
    /// `az keyvault key set-attributes …` arguments after `key`.
    fn az_extend(&self) -> String {
        format!(
            "set-attributes {} --name {}{} --expires {}",
            az_vault_arg(self.vault),
            self.key,
            self.version
                .map(|v| format!(" --version {v}"))
                .unwrap_or_default(),
            self.expires
        )
    }

    /// `az keyvault key rotate …` arguments after `key`.
    fn az_rotate(&self) -> String {
        format!("rotate {} --name {}", az_vault_arg(self.vault), self.key)
    }

    /// The one-line Azure CLI command that moves the date (for the API's
    /// `extend_command`), the sovereign cloud's `az cloud set` first.
    #[must_use]
    pub fn az_extend_line(&self) -> String {
        super::az_key_command(self.vault, &self.az_extend())
    }

    /// The one-line Azure CLI command that rotates the key.
    #[must_use]
    pub fn az_rotate_line(&self) -> String {
        super::az_key_command(self.vault, &self.az_rotate())
    }

    /// The tabs: for each tool, the extension, then the rotation.
    #[must_use]
    pub fn tabs(&self) -> Vec<CommandTab> {
        let cloud = self.vault.cloud();
        let block = |label: &str, lang, text| CommandBlock {
            label: label.to_owned(),
            lang,
            file: None,
            text,
        };
        let ps_version = self
            .version
            .map(|v| format!(" -Version '{v}'"))
            .unwrap_or_default();
        let (vault, key) = (ps_vault_arg(self.vault), self.key);
        vec![
            CommandTab {
                tool: Tool::AzureCli,
                blocks: vec![
                    block(
                        EXTEND,
                        Lang::Shell,
                        format!("{}az keyvault key {}\n", az_cloud(cloud), self.az_extend()),
                    ),
                    block(
                        ROTATE,
                        Lang::Shell,
                        format!("{}az keyvault key {}\n", az_cloud(cloud), self.az_rotate()),
                    ),
                ],
                note: Some(NOTE.to_owned()),
            },
            CommandTab {
                tool: Tool::AzurePowershell,
                blocks: vec![
                    block(
                        EXTEND,
                        Lang::Powershell,
                        format!(
                            "{}Update-AzKeyVaultKey {vault} -Name '{key}'{ps_version} -Expires ([datetime]'{}')\n",
                            ps_cloud(cloud),
                            self.expires
                        ),
                    ),
                    block(
                        ROTATE,
                        Lang::Powershell,
                        format!(
                            "{}Invoke-AzKeyVaultKeyRotation {vault} -Name '{key}'\n",
                            ps_cloud(cloud)
                        ),
                    ),
                ],
                note: Some(NOTE.to_owned()),
            },
        ]
    }
}

const EXTEND: &str = "Extend the expiration date by a year";
const ROTATE: &str =
    "Or rotate the key (keyswitch re-wraps the company key with the new version by itself)";
const NOTE: &str = "Either one is enough. Extending needs the Update Key permission, rotating the Rotate Key permission (Key Vault Crypto Officer, or Managed HSM Crypto Officer).";

#[cfg(test)]
mod tests {
    use super::super::checks::well_formed;
    use super::*;

    #[test]
    fn extend_and_rotate_in_a_key_vault_and_a_managed_hsm() {
        let kv: VaultUri = "https://contoso-kms.vault.azure.net".parse().unwrap();
        let e = Expiry {
            vault: &kv,
            key: "company-kek",
            version: Some("0123456789abcdef0123456789abcdef"),
            expires: "2027-06-01T00:00:00Z",
        };
        let t = e.tabs();
        well_formed(&t);
        assert_eq!(
            t[0].blocks[0].text,
            "az keyvault key set-attributes --vault-name contoso-kms --name company-kek --version 0123456789abcdef0123456789abcdef --expires 2027-06-01T00:00:00Z\n"
        );
        assert_eq!(t[0].blocks[0].text.trim_end(), e.az_extend_line());
        assert_eq!(
            t[0].blocks[1].text,
            "az keyvault key rotate --vault-name contoso-kms --name company-kek\n"
        );
        assert_eq!(
            t[1].blocks[0].text,
            "Update-AzKeyVaultKey -VaultName 'contoso-kms' -Name 'company-kek' -Version '0123456789abcdef0123456789abcdef' -Expires ([datetime]'2027-06-01T00:00:00Z')\n"
        );
        assert_eq!(
            t[1].blocks[1].text,
            "Invoke-AzKeyVaultKeyRotation -VaultName 'contoso-kms' -Name 'company-kek'\n"
        );
        let hsm: VaultUri = "https://contoso-hsm.managedhsm.azure.cn".parse().unwrap();
        let e = Expiry {
            vault: &hsm,
            key: "company-kek",
            version: None,
            expires: "2027-06-01T00:00:00Z",
        };
        let t = e.tabs();
        well_formed(&t);
        assert!(
            t[0].blocks[1]
                .text
                .starts_with("# The vault is in Azure China")
        );
        assert!(
            t[0].blocks[1]
                .text
                .ends_with("az keyvault key rotate --hsm-name contoso-hsm --name company-kek\n")
        );
        assert!(
            t[1].blocks[0]
                .text
                .contains("Connect-AzAccount -Environment AzureChinaCloud")
        );
        assert!(
            t[1].blocks[1]
                .text
                .contains("Invoke-AzKeyVaultKeyRotation -HsmName 'contoso-hsm'")
        );
        assert_eq!(
            e.az_rotate_line(),
            "az cloud set --name AzureChinaCloud && az login && az keyvault key rotate --hsm-name contoso-hsm --name company-kek"
        );
    }
}
