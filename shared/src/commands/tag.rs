//! The key's `keyswitch-company` tag (`crate::binding`), set with the
//! Azure CLI or Azure PowerShell, for a Key Vault's or a Managed HSM's key
//! in the vault's cloud. (Terraform and Bicep manage keys they created;
//! tagging a key they do not manage is a one-off change, so only the two
//! command-line tools are offered.)

use super::{CommandTab, Tool, az_cloud, az_vault_arg, powershell, ps_cloud, ps_vault_arg, shell};
use crate::binding::TAG;
use crate::vault_uri::VaultUri;

/// The `az keyvault key set-attributes` arguments after `key`.
fn az_rest(vault: &VaultUri, key: &str, value: &str) -> String {
    format!(
        "set-attributes {} --name {key} --tags {TAG}=\"{value}\"",
        az_vault_arg(vault)
    )
}

/// The one-line Azure CLI command (for a catalog `fix`), with the
/// sovereign cloud's `az cloud set` first.
#[must_use]
pub fn az_line(vault: &VaultUri, key: &str, value: &str) -> String {
    super::az_key_command(vault, &az_rest(vault, key, value))
}

/// The tabs that set the tag to `value`.
#[must_use]
pub fn tabs(vault: &VaultUri, key: &str, value: &str) -> Vec<CommandTab> {
    let cloud = vault.cloud();
    let cli = format!(
        "{}az keyvault key {}\n",
        az_cloud(cloud),
        az_rest(vault, key, value)
    );
    let ps = format!(
        "{}Update-AzKeyVaultKey {} -Name '{key}' -Tag @{{ '{TAG}' = '{value}' }}\n",
        ps_cloud(cloud),
        ps_vault_arg(vault)
    );
    let replaces =
        "It replaces all tags of the key's current version: add the key's other tags to it.";
    vec![
        CommandTab {
            tool: Tool::AzureCli,
            blocks: vec![shell(cli)],
            note: Some(replaces.to_owned()),
        },
        CommandTab {
            tool: Tool::AzurePowershell,
            blocks: vec![powershell(ps)],
            note: Some(replaces.to_owned()),
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
        let t = tabs(&kv, "company-kek", "globex acme");
        well_formed(&t);
        assert_eq!(
            t[0].text(),
            "az keyvault key set-attributes --vault-name contoso-kms --name company-kek --tags keyswitch-company=\"globex acme\"\n"
        );
        assert_eq!(
            t[1].text(),
            "Update-AzKeyVaultKey -VaultName 'contoso-kms' -Name 'company-kek' -Tag @{ 'keyswitch-company' = 'globex acme' }\n"
        );
        let hsm: VaultUri = "https://contoso-hsm.managedhsm.azure.cn".parse().unwrap();
        let t = tabs(&hsm, "company-kek", "acme");
        well_formed(&t);
        assert!(t[0].text().starts_with("# The vault is in Azure China"));
        assert!(t[0].text().ends_with(
            "az keyvault key set-attributes --hsm-name contoso-hsm --name company-kek --tags keyswitch-company=\"acme\"\n"
        ));
        assert!(
            t[1].text()
                .contains("Connect-AzAccount -Environment AzureChinaCloud")
        );
        assert!(
            t[1].text()
                .contains("Update-AzKeyVaultKey -HsmName 'contoso-hsm'")
        );
        assert_eq!(
            az_line(&hsm, "company-kek", "acme"),
            "az cloud set --name AzureChinaCloud && az login && az keyvault key set-attributes --hsm-name contoso-hsm --name company-kek --tags keyswitch-company=\"acme\""
        );
    }
}
