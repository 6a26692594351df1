//! Role assignment guidance (seed 000): the `az` commands and portal steps
//! that give the KMS Connector's service principal Key Vault Crypto User on
//! the vault, filled in with what keyswitch knows.

use keyswitch_shared::CompanyId;
use keyswitch_shared::api::{KeyBindingGuidance, PendingSetup, RoleAssignmentGuidance};
use keyswitch_shared::binding;

/// Display name of the connector's service principal in customer tenants.
pub const CONNECTOR_DISPLAY_NAME: &str = "CyberSentriq KMS Connector";
/// Key Vault Crypto User.
pub const ROLE_NAME: &str = "Key Vault Crypto User";
/// Its role definition id.
pub const ROLE_ID: &str = "12338af0-0e69-4776-bea7-57ae8d297424";

/// The key binding step for `company`: the tag command and portal steps.
fn binding_step(company: &CompanyId, vault: &str, key: &str) -> KeyBindingGuidance {
    let value = company.as_str().to_owned();
    KeyBindingGuidance {
        tag_name: binding::TAG.to_owned(),
        az_command: binding::az_command(vault, key, &value),
        portal_steps: binding::portal_steps(vault, key, &value),
        note: format!(
            "The tag is how the key's owner says the key may protect this company: without it, the connection test and every later use of the key are refused. If the key already serves other companies, keep their ids in the value, separated by spaces (for example \"other-company {value}\"). The az command replaces all tags of the key's current version: add any other tags it has to the command. A new key version needs the tag too."
        ),
        tag_value: value,
    }
}

/// Builds the guidance for `company`'s pending setup.
pub fn build(
    company: &CompanyId,
    pending: &PendingSetup,
    application_id: &str,
) -> RoleAssignmentGuidance {
    let vault = &pending.vault_name;
    let scope = format!(
        "/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers/Microsoft.KeyVault/vaults/{vault}"
    );
    let az_commands = format!(
        "# Get the service principal object ID by display name\n\
         SP_OBJECT_ID=$(az ad sp list --display-name \"{CONNECTOR_DISPLAY_NAME}\" --query \"[0].id\" -o tsv)\n\
         \n\
         # Assign Key Vault Crypto User role scoped to the vault\n\
         az role assignment create \\\n  --assignee-object-id \"$SP_OBJECT_ID\" \\\n  --assignee-principal-type ServicePrincipal \\\n  --role \"{ROLE_NAME}\" \\\n  --scope \"{scope}\"\n"
    );
    let portal_steps = vec![
        format!(
            "In the Azure Portal, search for and open Key Vaults, then select your vault ({vault})."
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
    let binding = binding_step(company, vault, pending.key_name.as_str());
    RoleAssignmentGuidance {
        binding,
        service_principal_name: CONNECTOR_DISPLAY_NAME.to_owned(),
        application_id: application_id.to_owned(),
        role_name: ROLE_NAME.to_owned(),
        role_id: ROLE_ID.to_owned(),
        vault_name: vault.clone(),
        vault_uri: pending.vault_uri.clone(),
        key_name: pending.key_name.clone(),
        vault_tenant: pending.vault_tenant.clone(),
        scope,
        az_commands,
        portal_steps,
        access_policy_note: "Your Key Vault must use the Azure RBAC permission model. If the Access control (IAM) blade shows a banner saying \"This key vault is using vault access policy as the permission model\", go to Settings > Access configuration, select Azure role-based access control and Save, then assign the role.".to_owned(),
    }
}
