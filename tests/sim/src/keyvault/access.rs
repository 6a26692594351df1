//! Who may do what: RBAC role definitions and access-policy permissions.

use crate::state::{PermissionModel, Vault, VaultKind};

/// Key Vault Crypto User.
pub const CRYPTO_USER: &str = "12338af0-0e69-4776-bea7-57ae8d297424";
/// Key Vault Crypto Service Encryption User.
pub const CRYPTO_SERVICE_ENCRYPTION_USER: &str = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
/// Key Vault Crypto Officer.
pub const CRYPTO_OFFICER: &str = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
/// Key Vault Administrator.
pub const ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
/// Key Vault Secrets User.
pub const SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";
/// Managed HSM Crypto User (local RBAC of Managed HSM).
pub const HSM_CRYPTO_USER: &str = "21dbd100-6940-42c2-9190-5d6cb909625b";

/// Role definitions the simulator knows (id, name).
pub const ROLES: &[(&str, &str)] = &[
    (CRYPTO_USER, "Key Vault Crypto User"),
    (
        CRYPTO_SERVICE_ENCRYPTION_USER,
        "Key Vault Crypto Service Encryption User",
    ),
    (CRYPTO_OFFICER, "Key Vault Crypto Officer"),
    (ADMINISTRATOR, "Key Vault Administrator"),
    (SECRETS_USER, "Key Vault Secrets User"),
    (HSM_CRYPTO_USER, "Managed HSM Crypto User"),
];

/// Role id from a name or id.
pub fn role_id(name_or_id: &str) -> Option<&'static str> {
    ROLES
        .iter()
        .find(|(id, name)| {
            id.eq_ignore_ascii_case(name_or_id) || name.eq_ignore_ascii_case(name_or_id)
        })
        .map(|(id, _)| *id)
}

/// Role name from an id.
pub fn role_name(id: &str) -> &str {
    ROLES
        .iter()
        .find(|(rid, _)| rid.eq_ignore_ascii_case(id))
        .map(|(_, n)| *n)
        .unwrap_or(id)
}

/// A data-plane operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Get or list keys.
    KeyRead,
    /// Wrap.
    KeyWrap,
    /// Unwrap.
    KeyUnwrap,
    /// Encrypt.
    KeyEncrypt,
    /// Decrypt.
    KeyDecrypt,
    /// Rotate.
    KeyRotate,
    /// Update a key version's attributes and tags.
    KeyUpdate,
    /// Delete a key (soft delete).
    KeyDelete,
    /// Read a soft-deleted key.
    DeletedKeyRead,
    /// Recover a soft-deleted key.
    KeyRecover,
    /// Read a secret value.
    SecretGet,
    /// Read a key's rotation policy.
    RotationPolicyRead,
    /// Set a key's rotation policy.
    RotationPolicyWrite,
}

impl Action {
    /// The RBAC data action.
    pub fn data_action(self) -> &'static str {
        match self {
            Action::KeyRead => "Microsoft.KeyVault/vaults/keys/read",
            Action::KeyWrap => "Microsoft.KeyVault/vaults/keys/wrap/action",
            Action::KeyUnwrap => "Microsoft.KeyVault/vaults/keys/unwrap/action",
            Action::KeyEncrypt => "Microsoft.KeyVault/vaults/keys/encrypt/action",
            Action::KeyDecrypt => "Microsoft.KeyVault/vaults/keys/decrypt/action",
            Action::KeyRotate => "Microsoft.KeyVault/vaults/keys/rotate/action",
            Action::KeyUpdate => "Microsoft.KeyVault/vaults/keys/update/action",
            Action::KeyDelete => "Microsoft.KeyVault/vaults/keys/delete",
            Action::DeletedKeyRead => "Microsoft.KeyVault/vaults/deletedKeys/read/action",
            Action::KeyRecover => "Microsoft.KeyVault/vaults/deletedKeys/recover/action",
            Action::SecretGet => "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            // Key Vault's data actions for rotation policies are not
            // confirmed in PROTOCOLS.md; reading needs what reading a key
            // needs, setting one is for Crypto Officers and Administrators.
            Action::RotationPolicyRead => "Microsoft.KeyVault/vaults/keys/read",
            Action::RotationPolicyWrite => "Microsoft.KeyVault/vaults/keys/rotationpolicy/write",
        }
    }

    /// Access-policy area and permission name.
    pub fn policy(self) -> (&'static str, &'static str) {
        match self {
            Action::KeyRead => ("keys", "get"),
            Action::KeyWrap => ("keys", "wrapKey"),
            Action::KeyUnwrap => ("keys", "unwrapKey"),
            Action::KeyEncrypt => ("keys", "encrypt"),
            Action::KeyDecrypt => ("keys", "decrypt"),
            Action::KeyRotate => ("keys", "rotate"),
            Action::KeyUpdate => ("keys", "update"),
            Action::KeyDelete => ("keys", "delete"),
            Action::DeletedKeyRead => ("keys", "get"),
            Action::KeyRecover => ("keys", "recover"),
            Action::SecretGet => ("secrets", "get"),
            Action::RotationPolicyRead => ("keys", "getrotationpolicy"),
            Action::RotationPolicyWrite => ("keys", "setrotationpolicy"),
        }
    }

    /// Operation name used in key-state errors.
    pub fn op_name(self) -> &'static str {
        self.policy().1
    }
}

/// Does `role` grant `action`?
pub fn role_allows(role: &str, action: Action) -> bool {
    use Action::*;
    match role {
        ADMINISTRATOR => true,
        CRYPTO_OFFICER => action != SecretGet,
        CRYPTO_USER | HSM_CRYPTO_USER => {
            matches!(
                action,
                KeyRead
                    | KeyWrap
                    | KeyUnwrap
                    | KeyEncrypt
                    | KeyDecrypt
                    | KeyUpdate
                    | RotationPolicyRead
            )
        }
        CRYPTO_SERVICE_ENCRYPTION_USER => matches!(action, KeyRead | KeyWrap | KeyUnwrap),
        SECRETS_USER => action == SecretGet,
        _ => false,
    }
}

/// Does `role` exist where it is assigned? A Managed HSM's data plane knows
/// only its local RBAC roles (Managed HSM Crypto User, …); Azure RBAC's Key
/// Vault roles do not reach its keys, and the other way round.
pub fn role_fits(kind: VaultKind, role: &str) -> bool {
    (role == HSM_CRYPTO_USER) == (kind == VaultKind::ManagedHsm)
}

/// Why access was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    /// RBAC vault: no assignment grants the action.
    Rbac,
    /// Access-policy vault: the permission is missing.
    Policy,
}

/// Decides whether `principal` may perform `action` on `object` (a key or
/// secret name, `None` for vault-wide operations such as listing).
pub fn decide(
    vault: &Vault,
    principal: &str,
    action: Action,
    object: Option<&str>,
) -> Result<(), Denied> {
    match vault.model {
        PermissionModel::Rbac => {
            let granted = vault.role_assignments.iter().any(|ra| {
                ra.principal_id.eq_ignore_ascii_case(principal)
                    && role_fits(vault.kind, &ra.role_id)
                    && role_allows(&ra.role_id, action)
                    && match (&ra.key, object) {
                        (None, _) => true,
                        (Some(scoped), Some(name)) => scoped.eq_ignore_ascii_case(name),
                        (Some(_), None) => false,
                    }
            });
            if granted { Ok(()) } else { Err(Denied::Rbac) }
        }
        PermissionModel::AccessPolicy => {
            let (area, perm) = action.policy();
            let granted = vault.access_policies.iter().any(|p| {
                p.object_id.eq_ignore_ascii_case(principal)
                    && match area {
                        "keys" => &p.keys,
                        _ => &p.secrets,
                    }
                    .iter()
                    .any(|g| g.eq_ignore_ascii_case(perm) || g.eq_ignore_ascii_case("all"))
            });
            if granted { Ok(()) } else { Err(Denied::Policy) }
        }
    }
}
