//! Role assignment guidance (seed 000): the `az` commands and portal steps
//! that give the KMS Connector's service principal Key Vault Crypto User on
//! the vault, filled in with what keyswitch knows, in the vault's cloud
//! (`az cloud set`, that cloud's portal). A Managed HSM has its own local
//! RBAC: Managed HSM Crypto User on the key with
//! `az keyvault role assignment create --hsm-name …`, not an ARM role
//! assignment.

use keyswitch_shared::api::{KeyBindingGuidance, PendingSetup, RoleAssignmentGuidance};
use keyswitch_shared::binding;
use keyswitch_shared::{Cloud, CompanyId, VaultKind};

/// Display name of the connector's service principal in customer tenants.
pub const CONNECTOR_DISPLAY_NAME: &str = "CyberSentriq KMS Connector";
/// Key Vault Crypto User.
pub const ROLE_NAME: &str = "Key Vault Crypto User";
/// Its role definition id.
pub const ROLE_ID: &str = "12338af0-0e69-4776-bea7-57ae8d297424";
/// Managed HSM Crypto User (Managed HSM local RBAC built-in role).
pub const HSM_ROLE_NAME: &str = "Managed HSM Crypto User";
/// Its role definition id.
pub const HSM_ROLE_ID: &str = "21dbd100-6940-42c2-9190-5d6cb909625b";

/// `az cloud set` for a sovereign cloud (nothing for the public cloud).
fn az_cloud(cloud: Cloud) -> String {
    match cloud {
        Cloud::Public => String::new(),
        other => format!(
            "# The vault is in {}: point the Azure CLI at that cloud first\naz cloud set --name {}\naz login\n\n",
            other.name(),
            other.az_cloud_name()
        ),
    }
}

/// The key binding step for `company`: the tag command and portal steps.
fn binding_step(
    company: &CompanyId,
    vault: &str,
    key: &str,
    kind: VaultKind,
    cloud: Cloud,
) -> KeyBindingGuidance {
    let value = company.as_str().to_owned();
    let command = binding::az_command(vault, key, &value);
    let mut portal_steps = binding::portal_steps(vault, key, &value);
    if let Some(first) = portal_steps.first_mut() {
        *first = first.replacen(
            "In the Azure Portal,",
            &format!("In the Azure Portal ({}),", cloud.portal()),
            1,
        );
        if kind == VaultKind::ManagedHsm {
            *first = first.replacen("Key Vaults", "Azure Key Vault Managed HSMs", 1);
        }
    }
    KeyBindingGuidance {
        tag_name: binding::TAG.to_owned(),
        az_command: match kind {
            VaultKind::KeyVault => command,
            VaultKind::ManagedHsm => command.replacen("--vault-name", "--hsm-name", 1),
        },
        portal_steps,
        note: format!(
            "The tag is how the key's owner says the key may protect this company: without it, the connection test and every later use of the key are refused. If the key already serves other companies, keep their ids in the value, separated by spaces (for example \"other-company {value}\"). The az command replaces all tags of the key's current version: add any other tags it has to the command. A new key version needs the tag too."
        ),
        tag_value: value,
    }
}

/// The role step of one kind of vault: which role, where, and how.
struct RoleStep {
    role_name: &'static str,
    role_id: &'static str,
    scope: String,
    az_commands: String,
    portal_steps: Vec<String>,
    note: &'static str,
}

/// Builds the guidance for `company`'s pending setup, for its vault's cloud
/// and kind.
pub fn build(
    company: &CompanyId,
    pending: &PendingSetup,
    application_id: &str,
) -> RoleAssignmentGuidance {
    let cloud = pending.vault_uri.cloud();
    let kind = pending.vault_uri.kind();
    let vault = &pending.vault_name;
    let key = pending.key_name.as_str();
    let step = match kind {
        VaultKind::KeyVault => key_vault(cloud, vault),
        VaultKind::ManagedHsm => managed_hsm(cloud, vault, key),
    };
    RoleAssignmentGuidance {
        binding: binding_step(company, vault, key, kind, cloud),
        service_principal_name: CONNECTOR_DISPLAY_NAME.to_owned(),
        application_id: application_id.to_owned(),
        role_name: step.role_name.to_owned(),
        role_id: step.role_id.to_owned(),
        vault_name: vault.clone(),
        vault_uri: pending.vault_uri.clone(),
        key_name: pending.key_name.clone(),
        vault_tenant: pending.vault_tenant.clone(),
        scope: step.scope,
        az_commands: step.az_commands,
        portal_steps: step.portal_steps,
        access_policy_note: step.note.to_owned(),
    }
}

/// A Key Vault: Azure RBAC's Key Vault Crypto User on the vault.
fn key_vault(cloud: Cloud, vault: &str) -> RoleStep {
    let portal = cloud.portal();
    let scope = format!(
        "/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers/Microsoft.KeyVault/vaults/{vault}"
    );
    let az_commands = format!(
        "{}# Get the service principal object ID by display name\n\
         SP_OBJECT_ID=$(az ad sp list --display-name \"{CONNECTOR_DISPLAY_NAME}\" --query \"[0].id\" -o tsv)\n\
         \n\
         # Assign Key Vault Crypto User role scoped to the vault\n\
         az role assignment create \\\n  --assignee-object-id \"$SP_OBJECT_ID\" \\\n  --assignee-principal-type ServicePrincipal \\\n  --role \"{ROLE_NAME}\" \\\n  --scope \"{scope}\"\n",
        az_cloud(cloud)
    );
    let portal_steps = vec![
        format!(
            "In the Azure Portal ({portal}), search for and open Key Vaults, then select your vault ({vault})."
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
    RoleStep {
        role_name: ROLE_NAME,
        role_id: ROLE_ID,
        scope,
        az_commands,
        portal_steps,
        note: "Your Key Vault must use the Azure RBAC permission model. If the Access control (IAM) blade shows a banner saying \"This key vault is using vault access policy as the permission model\", go to Settings > Access configuration, select Azure role-based access control and Save, then assign the role.",
    }
}

/// A Managed HSM: its local RBAC grants key use, on the key itself
/// (`/keys/{key}`), with `az keyvault role assignment create --hsm-name`;
/// Access control (IAM) assignments of Azure RBAC do not reach its keys.
fn managed_hsm(cloud: Cloud, hsm: &str, key: &str) -> RoleStep {
    let scope = format!("/keys/{key}");
    let az_commands = format!(
        "{}# Get the service principal object ID by display name\n\
         SP_OBJECT_ID=$(az ad sp list --display-name \"{CONNECTOR_DISPLAY_NAME}\" --query \"[0].id\" -o tsv)\n\
         \n\
         # Assign the Managed HSM local RBAC role {HSM_ROLE_NAME} on the key\n\
         az keyvault role assignment create \\\n  --hsm-name {hsm} \\\n  --assignee-object-id \"$SP_OBJECT_ID\" \\\n  --assignee-principal-type ServicePrincipal \\\n  --role \"{HSM_ROLE_NAME}\" \\\n  --scope \"{scope}\"\n",
        az_cloud(cloud)
    );
    let portal_steps = vec![
        format!(
            "In the Azure Portal ({}), search for and open Azure Key Vault Managed HSMs, then select your HSM ({hsm}).",
            cloud.portal()
        ),
        "In the left menu, select Settings > Local RBAC (not Access control (IAM): Azure role assignments do not grant use of the HSM's keys).".to_owned(),
        "Click + Add.".to_owned(),
        format!("For Scope, select the key {key} (or type {scope})."),
        format!("For Role, select {HSM_ROLE_NAME}."),
        format!(
            "For Security principal, search for {CONNECTOR_DISPLAY_NAME}, select the service principal, and click Create."
        ),
        format!("Verify the assignment appears in Local RBAC under {HSM_ROLE_NAME}."),
    ];
    RoleStep {
        role_name: HSM_ROLE_NAME,
        role_id: HSM_ROLE_ID,
        scope,
        az_commands,
        portal_steps,
        note: "A Managed HSM has no access policies and ignores Azure role assignments on its keys: only its local RBAC (Managed HSM Crypto User, or a role with the same key permissions) lets CyberSentriq wrap and unwrap with the key.",
    }
}
