//! The role that lets a principal wrap and unwrap with the key: Key Vault
//! Crypto User on a Key Vault (an Azure RBAC assignment on the vault's
//! resource id), Managed HSM Crypto User on a Managed HSM's key (its local
//! RBAC, scope `/keys/<key>`; Azure Resource Manager does not reach it).
//!
//! The principal is named by its application (client) id: the KMS
//! Connector's for the vault's cloud (Manage KMS), or the customer's own
//! service principal (a workspace's vault). The tools that need its object
//! id (Terraform, Bicep) look it up from the application id.

use super::{CommandTab, Lang, Tool, az_cloud, file, powershell, ps_cloud, shell, tf_environment};
use crate::ids::KeyName;
use crate::vault_uri::{VaultKind, VaultUri};

/// Key Vault Crypto User.
pub const ROLE_NAME: &str = "Key Vault Crypto User";
/// Its role definition id.
pub const ROLE_ID: &str = "12338af0-0e69-4776-bea7-57ae8d297424";
/// Managed HSM Crypto User (Managed HSM local RBAC built-in role).
pub const HSM_ROLE_NAME: &str = "Managed HSM Crypto User";
/// Its role definition id.
pub const HSM_ROLE_ID: &str = "21dbd100-6940-42c2-9190-5d6cb909625b";
/// The Terraform file's name.
pub const TF_FILE: &str = "keyswitch-role.tf";
/// The Bicep file's name.
pub const BICEP_FILE: &str = "keyswitch-role.bicep";

/// Who gets the role.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    /// Its application (client) id, a GUID.
    pub app_id: &'a str,
    /// How the comments name it, e.g. "the CyberSentriq KMS Connector".
    pub name: &'a str,
}

/// What to assign, where, to whom.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    /// The vault (or Managed HSM).
    pub vault: &'a VaultUri,
    /// The key (a Managed HSM's role is scoped to it).
    pub key: &'a KeyName,
    /// Who gets the role.
    pub principal: Principal<'a>,
}

impl<'a> Grant<'a> {
    /// The key-use role for a workspace's own service principal (seed-001
    /// vaults), named by its client id.
    #[must_use]
    pub fn own(vault: &'a VaultUri, key: &'a KeyName, client_id: &'a crate::ids::ClientId) -> Self {
        Grant {
            vault,
            key,
            principal: Principal {
                app_id: client_id.as_str(),
                name: "your service principal",
            },
        }
    }
}

/// The key-use role's name for this kind of vault.
#[must_use]
pub fn role_name_for(vault: &VaultUri) -> &'static str {
    match vault.kind() {
        VaultKind::KeyVault => ROLE_NAME,
        VaultKind::ManagedHsm => HSM_ROLE_NAME,
    }
}

impl Grant<'_> {
    /// The role's name for this kind of vault.
    #[must_use]
    pub fn role_name(&self) -> &'static str {
        role_name_for(self.vault)
    }

    /// The role definition's id.
    #[must_use]
    pub fn role_id(&self) -> &'static str {
        match self.vault.kind() {
            VaultKind::KeyVault => ROLE_ID,
            VaultKind::ManagedHsm => HSM_ROLE_ID,
        }
    }

    /// Where the role is assigned, as the tools get it: the vault's
    /// resource id (which the commands look up), or `/keys/<key>` in a
    /// Managed HSM's local RBAC.
    #[must_use]
    pub fn scope(&self) -> String {
        match self.vault.kind() {
            VaultKind::KeyVault => format!(
                "the resource id of the vault {} (az keyvault show --name {} --query id -o tsv)",
                self.vault.vault_name(),
                self.vault.vault_name()
            ),
            VaultKind::ManagedHsm => format!("/keys/{}", self.key.as_str()),
        }
    }

    /// The commands, one tab per tool.
    #[must_use]
    pub fn tabs(&self) -> Vec<CommandTab> {
        match self.vault.kind() {
            VaultKind::KeyVault => vec![
                self.kv_cli(),
                self.kv_powershell(),
                self.kv_terraform(),
                self.kv_bicep(),
            ],
            VaultKind::ManagedHsm => vec![
                self.hsm_cli(),
                self.hsm_powershell(),
                self.hsm_terraform(),
                self.hsm_bicep(),
            ],
        }
    }

    /// The Azure CLI commands alone (the tab's text).
    #[must_use]
    pub fn az_commands(&self) -> String {
        match self.vault.kind() {
            VaultKind::KeyVault => self.kv_cli().text(),
            VaultKind::ManagedHsm => self.hsm_cli().text(),
        }
    }

    /// The Azure CLI commands as one line (for a catalog `fix`): the
    /// sovereign cloud's `az cloud set` first; on a Key Vault, the
    /// assignment runs only when the vault's resource id was found (never
    /// a wider scope).
    #[must_use]
    pub fn az_line(&self) -> String {
        let cloud = self.vault.cloud();
        let set = match cloud {
            crate::vault_uri::Cloud::Public => String::new(),
            other => format!(
                "az cloud set --name {} && az login && ",
                other.az_cloud_name()
            ),
        };
        let v = self.vault.vault_name();
        let app_id = self.principal.app_id;
        match self.vault.kind() {
            VaultKind::KeyVault => format!(
                "{set}VAULT_ID=$(az keyvault show --name {v} --query id -o tsv) && az role assignment create --assignee {app_id} --role \"{ROLE_NAME}\" --scope \"${{VAULT_ID:?{nf}}}\"",
                nf = self.not_found(),
            ),
            VaultKind::ManagedHsm => format!(
                "{set}az keyvault role assignment create --hsm-name {v} --assignee {app_id} --role \"{HSM_ROLE_NAME}\" --scope /keys/{key}",
                key = self.key.as_str(),
            ),
        }
    }

    fn not_found(&self) -> String {
        format!(
            "the vault {} is not in the current subscription: select its subscription with az account set --subscription and run this again",
            self.vault.vault_name()
        )
    }

    fn kv_cli(&self) -> CommandTab {
        let v = self.vault.vault_name();
        let Principal { app_id, name } = self.principal;
        let text = format!(
            "{cloud}# The vault's resource id (az keyvault show looks in the current subscription)\n\
             VAULT_ID=$(az keyvault show --name {v} --query id -o tsv)\n\
             \n\
             # {ROLE_NAME} for {name} (application id {app_id}) on the vault\n\
             az role assignment create \\\n  --assignee {app_id} \\\n  --role \"{ROLE_NAME}\" \\\n  --scope \"${{VAULT_ID:?{nf}}}\"\n",
            cloud = az_cloud(self.vault.cloud()),
            nf = self.not_found(),
        );
        CommandTab {
            tool: Tool::AzureCli,
            blocks: vec![shell(text)],
            note: Some("Run as someone who may assign roles on the vault (Owner, User Access Administrator or Role Based Access Control Administrator). If the vault is in another subscription than your current one, select it first with az account set --subscription; without the vault, the assignment is not made (it never falls back to a wider scope).".to_owned()),
        }
    }

    fn kv_powershell(&self) -> CommandTab {
        let v = self.vault.vault_name();
        let Principal { app_id, name } = self.principal;
        let text = format!(
            "{cloud}# {ROLE_NAME} for {name} (application id {app_id}) on the vault {v}\n\
             $vault = Get-AzKeyVault -VaultName '{v}'\n\
             if ($vault) {{\n  New-AzRoleAssignment -ApplicationId '{app_id}' -RoleDefinitionName '{ROLE_NAME}' -Scope $vault.ResourceId\n}} else {{\n  Write-Error 'The vault {v} is not in the current subscription: select its subscription with Set-AzContext -Subscription and run this again.'\n}}\n",
            cloud = ps_cloud(self.vault.cloud()),
        );
        CommandTab {
            tool: Tool::AzurePowershell,
            blocks: vec![powershell(text)],
            note: Some(
                "Needs the Az.Accounts, Az.KeyVault and Az.Resources modules (Install-Module Az), signed in with Connect-AzAccount as someone who may assign roles on the vault.".to_owned(),
            ),
        }
    }

    fn tf_providers(&self) -> String {
        let env = tf_environment(self.vault.cloud());
        format!(
            "terraform {{\n  required_providers {{\n    azurerm = {{\n      source  = \"hashicorp/azurerm\"\n      version = \"~> 4.0\"\n    }}\n    azuread = {{\n      source  = \"hashicorp/azuread\"\n      version = \"~> 3.0\"\n    }}\n  }}\n}}\n\
             \n\
             provider \"azurerm\" {{\n  features {{}}\n  environment = \"{env}\"\n}}\n\
             \n\
             provider \"azuread\" {{\n  environment = \"{env}\"\n}}\n\
             \n\
             # The service principal of {name} in your tenant (its object id)\n\
             data \"azuread_service_principal\" \"keyswitch\" {{\n  client_id = \"{app_id}\"\n}}\n",
            name = self.principal.name,
            app_id = self.principal.app_id,
        )
    }

    /// The shell that applies the Terraform file in the vault's
    /// subscription.
    fn tf_apply(&self) -> String {
        let v = self.vault.vault_name();
        let show = match self.vault.kind() {
            VaultKind::KeyVault => format!("az keyvault show --name {v} --query id -o tsv"),
            VaultKind::ManagedHsm => format!("az keyvault show --hsm-name {v} --query id -o tsv"),
        };
        format!(
            "{cloud}# The vault's subscription, for the azurerm provider\n\
             VAULT_ID=$({show})\n\
             export ARM_SUBSCRIPTION_ID=$(echo \"${{VAULT_ID:?{nf}}}\" | cut -d/ -f3)\n\
             \n\
             terraform init\n\
             terraform apply\n",
            cloud = az_cloud(self.vault.cloud()),
            nf = self.not_found(),
        )
    }

    fn tf_note() -> Option<String> {
        Some("Save the file in an empty folder and run the commands there, or add its data sources and resource to your own configuration (keeping your provider blocks). The Terraform state then holds the assignment: removing it from the configuration removes the role.".to_owned())
    }

    fn kv_terraform(&self) -> CommandTab {
        let v = self.vault.vault_name();
        let hcl = format!(
            "# {ROLE_NAME} for {name} on the vault {v}\n\
             {providers}\n\
             # The vault, found by name in the provider's subscription\n\
             data \"azurerm_resources\" \"keyswitch_vault\" {{\n  name = \"{v}\"\n  type = \"Microsoft.KeyVault/vaults\"\n}}\n\
             \n\
             resource \"azurerm_role_assignment\" \"keyswitch_crypto_user\" {{\n  scope                = one(data.azurerm_resources.keyswitch_vault.resources).id\n  role_definition_name = \"{ROLE_NAME}\"\n  principal_id         = data.azuread_service_principal.keyswitch.object_id\n  principal_type       = \"ServicePrincipal\"\n}}\n",
            name = self.principal.name,
            providers = self.tf_providers(),
        );
        CommandTab {
            tool: Tool::Terraform,
            blocks: vec![file(TF_FILE, Lang::Hcl, hcl), shell(self.tf_apply())],
            note: Self::tf_note(),
        }
    }

    fn kv_bicep(&self) -> CommandTab {
        let v = self.vault.vault_name();
        let Principal { app_id, name } = self.principal;
        let bicep = format!(
            "// {ROLE_NAME} for {name} on the vault {v}.\n\
             // A role assignment names the principal by its object id, not its application id:\n\
             // the deployment command below looks it up with\n\
             //   az ad sp show --id {app_id} --query id -o tsv\n\
             @description('Object id of the service principal of application {app_id}')\n\
             param principalObjectId string\n\
             \n\
             resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {{\n  name: '{v}'\n}}\n\
             \n\
             resource keyswitchCryptoUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {{\n  name: guid(vault.id, principalObjectId, '{ROLE_ID}')\n  scope: vault\n  properties: {{\n    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{ROLE_ID}')\n    principalId: principalObjectId\n    principalType: 'ServicePrincipal'\n  }}\n}}\n"
        );
        let deploy = format!(
            "{cloud}# The vault's resource group, and the object id of {name}'s service principal\n\
             VAULT_RG=$(az keyvault show --name {v} --query resourceGroup -o tsv)\n\
             SP_OBJECT_ID=$(az ad sp show --id {app_id} --query id -o tsv)\n\
             \n\
             az deployment group create \\\n  --resource-group \"${{VAULT_RG:?{nf}}}\" \\\n  --template-file {BICEP_FILE} \\\n  --parameters principalObjectId=\"${{SP_OBJECT_ID:?no service principal of application {app_id} in this tenant: grant admin consent first}}\"\n",
            cloud = az_cloud(self.vault.cloud()),
            nf = self.not_found(),
        );
        CommandTab {
            tool: Tool::Bicep,
            blocks: vec![file(BICEP_FILE, Lang::Bicep, bicep), shell(deploy)],
            note: Some("Save the file, then deploy it to the vault's resource group with the commands (they look up the resource group and the principal's object id). Deploying needs the Microsoft.Authorization/roleAssignments/write permission on the vault.".to_owned()),
        }
    }

    fn hsm_cli(&self) -> CommandTab {
        let hsm = self.vault.vault_name();
        let Principal { app_id, name } = self.principal;
        let key = self.key.as_str();
        let text = format!(
            "{cloud}# {HSM_ROLE_NAME} for {name} (application id {app_id}) on the key {key}, in the HSM's local RBAC\n\
             az keyvault role assignment create \\\n  --hsm-name {hsm} \\\n  --assignee {app_id} \\\n  --role \"{HSM_ROLE_NAME}\" \\\n  --scope /keys/{key}\n",
            cloud = az_cloud(self.vault.cloud()),
        );
        CommandTab {
            tool: Tool::AzureCli,
            blocks: vec![shell(text)],
            note: Some(
                "Run as a Managed HSM Administrator (or another local RBAC role that may assign roles): Azure roles such as Owner do not reach the HSM's local RBAC.".to_owned(),
            ),
        }
    }

    fn hsm_powershell(&self) -> CommandTab {
        let hsm = self.vault.vault_name();
        let Principal { app_id, name } = self.principal;
        let key = self.key.as_str();
        let text = format!(
            "{cloud}# {HSM_ROLE_NAME} for {name} (application id {app_id}) on the key {key}, in the HSM's local RBAC\n\
             New-AzKeyVaultRoleAssignment -HsmName '{hsm}' -RoleDefinitionName '{HSM_ROLE_NAME}' -ApplicationId '{app_id}' -Scope '/keys/{key}'\n",
            cloud = ps_cloud(self.vault.cloud()),
        );
        CommandTab {
            tool: Tool::AzurePowershell,
            blocks: vec![powershell(text)],
            note: Some(
                "Needs the Az.KeyVault module, signed in with Connect-AzAccount as a Managed HSM Administrator.".to_owned(),
            ),
        }
    }

    fn hsm_terraform(&self) -> CommandTab {
        let hsm = self.vault.vault_name();
        let key = self.key.as_str();
        let hcl = format!(
            "# {HSM_ROLE_NAME} for {name} on the key {key} of the Managed HSM {hsm}\n\
             {providers}\n\
             # The Managed HSM, found by name in the provider's subscription\n\
             data \"azurerm_resources\" \"keyswitch_hsm\" {{\n  name = \"{hsm}\"\n  type = \"Microsoft.KeyVault/managedHSMs\"\n}}\n\
             \n\
             data \"azurerm_key_vault_managed_hardware_security_module_role_definition\" \"crypto_user\" {{\n  managed_hsm_id = one(data.azurerm_resources.keyswitch_hsm.resources).id\n  name           = \"{HSM_ROLE_ID}\"\n}}\n\
             \n\
             resource \"azurerm_key_vault_managed_hardware_security_module_role_assignment\" \"keyswitch_crypto_user\" {{\n  managed_hsm_id     = one(data.azurerm_resources.keyswitch_hsm.resources).id\n  name               = uuidv5(\"url\", \"{uri}/keys/{key}#{app_id}\")\n  scope              = \"/keys/{key}\"\n  role_definition_id = data.azurerm_key_vault_managed_hardware_security_module_role_definition.crypto_user.resource_manager_id\n  principal_id       = data.azuread_service_principal.keyswitch.object_id\n}}\n",
            name = self.principal.name,
            app_id = self.principal.app_id,
            uri = self.vault.as_str(),
            providers = self.tf_providers(),
        );
        CommandTab {
            tool: Tool::Terraform,
            blocks: vec![file(TF_FILE, Lang::Hcl, hcl), shell(self.tf_apply())],
            note: Self::tf_note(),
        }
    }

    fn hsm_bicep(&self) -> CommandTab {
        CommandTab {
            tool: Tool::Bicep,
            blocks: Vec::new(),
            note: Some(format!(
                "Bicep deploys through Azure Resource Manager, which cannot reach a Managed HSM's local RBAC: assign {HSM_ROLE_NAME} with the Azure CLI, Azure PowerShell or Terraform instead."
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::checks::well_formed;
    use super::*;

    const APP: &str = "11111111-2222-3333-4444-555555555555";

    fn grant_for(uri: &str) -> (VaultUri, KeyName) {
        (uri.parse().unwrap(), "company-kek".parse().unwrap())
    }

    fn tabs(uri: &str) -> Vec<CommandTab> {
        let (vault, key) = grant_for(uri);
        Grant {
            vault: &vault,
            key: &key,
            principal: Principal {
                app_id: APP,
                name: "the CyberSentriq KMS Connector",
            },
        }
        .tabs()
    }

    fn tab(tabs: &[CommandTab], tool: Tool) -> String {
        tabs.iter()
            .find(|t| t.tool == tool)
            .map(CommandTab::text)
            .unwrap()
    }

    #[test]
    fn the_role_its_id_and_its_scope_follow_the_kind_of_vault() {
        for (uri, name, id, scope) in [
            (
                "https://contoso-kms.vault.azure.net",
                "Key Vault Crypto User",
                "12338af0-0e69-4776-bea7-57ae8d297424",
                "the resource id of the vault contoso-kms (az keyvault show --name contoso-kms --query id -o tsv)",
            ),
            (
                "https://contoso-hsm.managedhsm.azure.net",
                "Managed HSM Crypto User",
                "21dbd100-6940-42c2-9190-5d6cb909625b",
                "/keys/company-kek",
            ),
        ] {
            let (vault, key) = grant_for(uri);
            let client: crate::ids::ClientId = APP.parse().unwrap();
            let grant = Grant::own(&vault, &key, &client);
            assert_eq!(
                (grant.role_name(), grant.role_id(), grant.scope().as_str()),
                (name, id, scope)
            );
            // The guidance's `az` commands are the Azure CLI tab's text; the
            // Terraform tab says where its state keeps the assignment.
            let tabs = grant.tabs();
            assert_eq!(grant.az_commands(), tab(&tabs, Tool::AzureCli));
            assert!(grant.az_commands().contains(id) || grant.az_commands().contains(name));
            let tf = tabs.iter().find(|t| t.tool == Tool::Terraform).unwrap();
            let note = tf.note.as_deref().unwrap_or_default();
            assert!(
                note.contains("The Terraform state then holds the assignment"),
                "{note}"
            );
        }
    }

    #[test]
    fn every_tool_for_every_kind_and_cloud_is_well_formed() {
        for uri in [
            "https://contoso-kms.vault.azure.net",
            "https://contoso-kms.vault.azure.cn",
            "https://contoso-kms.vault.usgovcloudapi.net",
            "https://contoso-hsm.managedhsm.azure.net",
            "https://contoso-hsm.managedhsm.azure.cn",
            "https://contoso-hsm.managedhsm.usgovcloudapi.net",
        ] {
            let t = tabs(uri);
            assert_eq!(
                t.iter().map(|t| t.tool).collect::<Vec<_>>(),
                [
                    Tool::AzureCli,
                    Tool::AzurePowershell,
                    Tool::Terraform,
                    Tool::Bicep
                ],
                "{uri}"
            );
            well_formed(&t);
        }
    }

    #[test]
    fn a_key_vault_scope_is_derived_and_the_app_id_assigned() {
        let t = tabs("https://contoso-kms.vault.azure.net");
        let cli = tab(&t, Tool::AzureCli);
        assert!(cli.contains("VAULT_ID=$(az keyvault show --name contoso-kms --query id -o tsv)"));
        assert!(cli.contains(&format!("--assignee {APP} \\\n")));
        assert!(cli.contains("--role \"Key Vault Crypto User\""));
        assert!(cli.contains("--scope \"${VAULT_ID:?the vault contoso-kms is not in"));
        assert!(!cli.contains("az cloud set"));
        assert!(!cli.contains("subscriptions/"));
        let ps = tab(&t, Tool::AzurePowershell);
        assert!(ps.contains("Get-AzKeyVault -VaultName 'contoso-kms'"));
        assert!(ps.contains(&format!(
            "New-AzRoleAssignment -ApplicationId '{APP}' -RoleDefinitionName 'Key Vault Crypto User' -Scope $vault.ResourceId"
        )));
        assert!(!ps.contains("Connect-AzAccount"));
        let tf = tab(&t, Tool::Terraform);
        assert!(tf.contains(&format!("client_id = \"{APP}\"")));
        assert!(tf.contains("type = \"Microsoft.KeyVault/vaults\""));
        assert!(tf.contains("environment = \"public\""));
        assert!(tf.contains("resource \"azurerm_role_assignment\""));
        let bicep = tab(&t, Tool::Bicep);
        assert!(bicep.contains(&format!("az ad sp show --id {APP} --query id -o tsv")));
        assert!(bicep.contains(&format!(
            "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{ROLE_ID}')"
        )));
        assert!(bicep.contains("Microsoft.Authorization/roleAssignments@"));
    }

    #[test]
    fn a_sovereign_cloud_is_set_first_in_every_tool() {
        let t = tabs("https://contoso-kms.vault.azure.cn");
        assert!(tab(&t, Tool::AzureCli).starts_with("# The vault is in Azure China"));
        assert!(
            tab(&t, Tool::AzureCli).contains("az cloud set --name AzureChinaCloud\naz login\n")
        );
        assert!(
            tab(&t, Tool::AzurePowershell)
                .contains("Connect-AzAccount -Environment AzureChinaCloud")
        );
        assert!(tab(&t, Tool::Terraform).contains("environment = \"china\""));
        assert!(tab(&t, Tool::Terraform).contains("az cloud set --name AzureChinaCloud"));
        assert!(tab(&t, Tool::Bicep).contains("az cloud set --name AzureChinaCloud"));
        let gov = tabs("https://contoso-hsm.managedhsm.usgovcloudapi.net");
        assert!(tab(&gov, Tool::AzureCli).contains("az cloud set --name AzureUSGovernment"));
        assert!(tab(&gov, Tool::Terraform).contains("environment = \"usgovernment\""));
    }

    #[test]
    fn the_one_line_form_runs_the_same_assignment() {
        let line = |uri: &str| {
            let (vault, key) = grant_for(uri);
            let principal = Principal {
                app_id: APP,
                name: "x",
            };
            Grant {
                vault: &vault,
                key: &key,
                principal,
            }
            .az_line()
        };
        assert_eq!(
            line("https://contoso-kms.vault.azure.cn"),
            format!(
                "az cloud set --name AzureChinaCloud && az login && VAULT_ID=$(az keyvault show --name contoso-kms --query id -o tsv) && az role assignment create --assignee {APP} --role \"Key Vault Crypto User\" --scope \"${{VAULT_ID:?the vault contoso-kms is not in the current subscription: select its subscription with az account set --subscription and run this again}}\""
            )
        );
        assert_eq!(
            line("https://contoso-hsm.managedhsm.azure.net"),
            format!(
                "az keyvault role assignment create --hsm-name contoso-hsm --assignee {APP} --role \"Managed HSM Crypto User\" --scope /keys/company-kek"
            )
        );
    }

    #[test]
    fn a_managed_hsm_gets_its_local_rbac_on_the_key() {
        let t = tabs("https://contoso-hsm.managedhsm.azure.net");
        let cli = tab(&t, Tool::AzureCli);
        assert!(
            cli.contains("az keyvault role assignment create \\\n  --hsm-name contoso-hsm \\\n")
        );
        assert!(cli.contains("--role \"Managed HSM Crypto User\""));
        assert!(cli.contains("--scope /keys/company-kek\n"));
        assert!(!cli.contains("az role assignment create"));
        assert!(tab(&t, Tool::AzurePowershell).contains(
            "New-AzKeyVaultRoleAssignment -HsmName 'contoso-hsm' -RoleDefinitionName 'Managed HSM Crypto User'"
        ));
        let tf = tab(&t, Tool::Terraform);
        assert!(tf.contains("azurerm_key_vault_managed_hardware_security_module_role_assignment"));
        assert!(tf.contains("type = \"Microsoft.KeyVault/managedHSMs\""));
        assert!(tf.contains("az keyvault show --hsm-name contoso-hsm"));
        let bicep = t.iter().find(|t| t.tool == Tool::Bicep).unwrap();
        assert!(bicep.blocks.is_empty());
        assert!(bicep.note.as_deref().unwrap().contains("local RBAC"));
    }
}
