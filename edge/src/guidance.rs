//! Role assignment guidance (seed 000): what gives the KMS Connector's
//! service principal the key-use role on the vault (Key Vault Crypto User
//! on a Key Vault; Managed HSM Crypto User on the key in a Managed HSM's
//! local RBAC), and what tags the key for this company: commands for the
//! Azure CLI, Azure PowerShell, Terraform and Bicep that run as copied
//! (`keyswitch_shared::commands`), and the portal steps, in the vault's
//! cloud.

use keyswitch_shared::api::{KeyBindingGuidance, RoleAssignmentGuidance};
use keyswitch_shared::binding;
use keyswitch_shared::commands::role::{Grant, HSM_ROLE_NAME, Principal, ROLE_NAME};
use keyswitch_shared::commands::tag;
use keyswitch_shared::{CompanyId, KeyName, TenantId, VaultKind, VaultUri};
use serde::Deserialize;

/// What the guidance needs of the pending setup (`PendingSetup`'s fields
/// of the same names, read from the object's view: the worker decodes no
/// more of it).
#[derive(Deserialize)]
pub struct GuidedSetup {
    /// The vault.
    pub vault_uri: VaultUri,
    /// The key.
    pub key_name: KeyName,
    /// The vault's name.
    pub vault_name: String,
    /// The vault's tenant, when known.
    pub vault_tenant: Option<TenantId>,
}

/// Display name of the connector's service principal in customer tenants.
pub const CONNECTOR_DISPLAY_NAME: &str = "CyberSentriq KMS Connector";
/// How the commands' comments name it.
const CONNECTOR: &str = "the CyberSentriq KMS Connector";

/// The key binding step for `company`: the tag commands and portal steps.
fn binding_step(company: &CompanyId, vault: &VaultUri, key: &str) -> KeyBindingGuidance {
    let value = company.as_str().to_owned();
    KeyBindingGuidance {
        tag_name: binding::TAG.to_owned(),
        az_command: tag::az_line(vault, key, &value),
        commands: tag::tabs(vault, key, &value),
        portal_steps: binding::portal_steps(vault, key, &value),
        note: format!(
            "The tag is how the key's owner says the key may protect this company: without it, the connection test and every later use of the key are refused. If the key already serves other companies, keep their ids in the value, separated by spaces (for example \"other-company {value}\"). The command replaces all tags of the key's current version: add any other tags it has to the command. A new key version needs the tag too."
        ),
        tag_value: value,
    }
}

/// Builds the guidance for `company`'s pending setup, for its vault's cloud
/// and kind, naming the connector by `application_id` (its app id in the
/// vault's cloud).
pub fn build(
    company: &CompanyId,
    pending: &GuidedSetup,
    application_id: &str,
) -> RoleAssignmentGuidance {
    let vault = &pending.vault_uri;
    let grant = Grant {
        vault,
        key: &pending.key_name,
        principal: Principal {
            app_id: application_id,
            name: CONNECTOR,
        },
    };
    let (portal_steps, note) = match vault.kind() {
        VaultKind::KeyVault => key_vault_portal(vault),
        VaultKind::ManagedHsm => managed_hsm_portal(vault, pending.key_name.as_str()),
    };
    RoleAssignmentGuidance {
        binding: binding_step(company, vault, pending.key_name.as_str()),
        service_principal_name: CONNECTOR_DISPLAY_NAME.to_owned(),
        application_id: application_id.to_owned(),
        role_name: grant.role_name().to_owned(),
        role_id: grant.role_id().to_owned(),
        vault_name: pending.vault_name.clone(),
        vault_uri: vault.clone(),
        key_name: pending.key_name.clone(),
        vault_tenant: pending.vault_tenant.clone(),
        scope: grant.scope(),
        az_commands: grant.az_commands(),
        commands: grant.tabs(),
        portal_steps,
        access_policy_note: note.to_owned(),
    }
}

/// A Key Vault: Azure RBAC's Key Vault Crypto User on the vault, in the
/// portal.
fn key_vault_portal(vault: &VaultUri) -> (Vec<String>, &'static str) {
    let portal = vault.cloud().portal();
    let name = vault.vault_name();
    let steps = vec![
        format!(
            "In the Azure Portal ({portal}), search for and open Key Vaults, then select your vault ({name})."
        ),
        "In the left menu, select Access control (IAM).".to_owned(),
        "Click + Add > Add role assignment.".to_owned(),
        format!("On the Role tab, search for {ROLE_NAME} and select it. Click Next."),
        format!(
            "On the Members tab: set Assign access to = User, group, or service principal; click + Select members; search for {CONNECTOR_DISPLAY_NAME}; select the service principal from the results and click Select."
        ),
        "Click Review + assign twice to confirm.".to_owned(),
        format!("Verify the assignment appears in the Role assignments tab under {ROLE_NAME}."),
    ];
    (
        steps,
        "Your Key Vault must use the Azure RBAC permission model. If the Access control (IAM) blade shows a banner saying \"This key vault is using vault access policy as the permission model\", go to Settings > Access configuration, select Azure role-based access control and Save, then assign the role.",
    )
}

/// A Managed HSM: its local RBAC grants key use, on the key itself
/// (`/keys/{key}`); Access control (IAM) assignments of Azure RBAC do not
/// reach its keys.
fn managed_hsm_portal(vault: &VaultUri, key: &str) -> (Vec<String>, &'static str) {
    let hsm = vault.vault_name();
    let steps = vec![
        format!(
            "In the Azure Portal ({}), search for and open Azure Key Vault Managed HSMs, then select your HSM ({hsm}).",
            vault.cloud().portal()
        ),
        "In the left menu, select Settings > Local RBAC (not Access control (IAM): Azure role assignments do not grant use of the HSM's keys).".to_owned(),
        "Click + Add.".to_owned(),
        format!("For Scope, select the key {key} (or type /keys/{key})."),
        format!("For Role, select {HSM_ROLE_NAME}."),
        format!(
            "For Security principal, search for {CONNECTOR_DISPLAY_NAME}, select the service principal, and click Create."
        ),
        format!("Verify the assignment appears in Local RBAC under {HSM_ROLE_NAME}."),
    ];
    (
        steps,
        "A Managed HSM has no access policies and ignores Azure role assignments on its keys: only its local RBAC (Managed HSM Crypto User, or a role with the same key permissions) lets CyberSentriq wrap and unwrap with the key.",
    )
}
