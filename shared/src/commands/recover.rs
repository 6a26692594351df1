//! Recovering a soft-deleted key, with the Azure CLI or Azure PowerShell,
//! in a Key Vault or a Managed HSM of the vault's cloud. (Terraform and
//! Bicep do not recover a deleted key they did not delete: only the two
//! command-line tools are offered.)

use super::{CommandTab, Tool, az_cloud, az_vault_arg, powershell, ps_cloud, ps_vault_arg, shell};
use crate::vault_uri::VaultUri;

/// The `az keyvault key recover` arguments after `key`.
fn az_rest(vault: &VaultUri, key: &str) -> String {
    format!("recover {} --name {key}", az_vault_arg(vault))
}

/// The one-line Azure CLI command (for a catalog `fix`), with the
/// sovereign cloud's `az cloud set` first.
#[must_use]
pub fn az_line(vault: &VaultUri, key: &str) -> String {
    super::az_key_command(vault, &az_rest(vault, key))
}

/// The one-line Azure PowerShell command.
#[must_use]
pub fn ps_line(vault: &VaultUri, key: &str) -> String {
    format!(
        "Undo-AzKeyVaultKeyRemoval {} -Name '{key}'",
        ps_vault_arg(vault)
    )
}

/// The tabs that recover the deleted key `key`.
#[must_use]
pub fn tabs(vault: &VaultUri, key: &str) -> Vec<CommandTab> {
    let cloud = vault.cloud();
    let when = "Works while the key is soft-deleted (within the vault's retention); a purged key cannot be recovered.";
    vec![
        CommandTab {
            tool: Tool::AzureCli,
            blocks: vec![shell(format!(
                "{}az keyvault key {}\n",
                az_cloud(cloud),
                az_rest(vault, key)
            ))],
            note: Some(format!(
                "{when} Needs the Recover Keys permission (Key Vault Crypto Officer, or Managed HSM Crypto Officer)."
            )),
        },
        CommandTab {
            tool: Tool::AzurePowershell,
            blocks: vec![powershell(format!(
                "{}{}\n",
                ps_cloud(cloud),
                ps_line(vault, key)
            ))],
            note: Some(format!("{when} Needs the Az.KeyVault module.")),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::super::checks::well_formed;
    use super::*;

    #[test]
    fn a_key_vault_and_a_managed_hsm_in_their_clouds() {
        let kv: VaultUri = "https://contoso-kms.vault.azure.net".parse().unwrap();
        let t = tabs(&kv, "company-kek");
        well_formed(&t);
        assert_eq!(
            t[0].text(),
            "az keyvault key recover --vault-name contoso-kms --name company-kek\n"
        );
        assert_eq!(
            t[1].text(),
            "Undo-AzKeyVaultKeyRemoval -VaultName 'contoso-kms' -Name 'company-kek'\n"
        );
        let hsm: VaultUri = "https://contoso-hsm.managedhsm.usgovcloudapi.net"
            .parse()
            .unwrap();
        let t = tabs(&hsm, "company-kek");
        well_formed(&t);
        assert!(
            t[0].text()
                .contains("az cloud set --name AzureUSGovernment\naz login\n")
        );
        assert!(
            t[0].text()
                .ends_with("az keyvault key recover --hsm-name contoso-hsm --name company-kek\n")
        );
        assert!(
            t[1].text()
                .contains("Connect-AzAccount -Environment AzureUSGovernment")
        );
        assert!(
            t[1].text().ends_with(
                "Undo-AzKeyVaultKeyRemoval -HsmName 'contoso-hsm' -Name 'company-kek'\n"
            )
        );
        assert_eq!(
            az_line(&hsm, "company-kek"),
            "az cloud set --name AzureUSGovernment && az login && az keyvault key recover --hsm-name contoso-hsm --name company-kek"
        );
    }
}
