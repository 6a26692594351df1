//! The worlds the simulator starts with (`--seed default|empty`).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{Config, Seed};
use crate::forge::{self, LazyRsa};
use crate::state::*;
use crate::util::{b64url, now, random_bytes, stable_guid, stable_version};

/// Contoso's tenant id.
pub const CONTOSO: &str = "72f988bf-0000-4c3a-9d6e-c0ffee000001";
/// Fabrikam's tenant id.
pub const FABRIKAM: &str = "a1b2c3d4-0000-4e5f-8a9b-fab000000002";
/// Contoso's tenant in Azure China (21Vianet): its own directory, reached
/// only through `login.chinacloudapi.cn`.
pub const CONTOSO_CHINA: &str = "5e1c7a90-0000-4c3a-9d6e-c0ffee0000c1";
/// Contoso's tenant in Azure US Government (`login.microsoftonline.us`).
pub const CONTOSO_USGOV: &str = "9d2b4f60-0000-4c3a-9d6e-c0ffee0000d1";
/// Client id of the seeded customer app (vault management, seed 001).
pub const CUSTOMER_APP_ID: &str = "0c9d8e7f-1111-4a2b-8c3d-00000000c001";
/// Its secret.
pub const CUSTOMER_APP_SECRET: &str = "contoso-app-secret-001";
/// Client id of a customer app whose only secret has expired.
pub const EXPIRED_APP_ID: &str = "0c9d8e7f-2222-4a2b-8c3d-00000000c002";
/// Its (expired) secret.
pub const EXPIRED_APP_SECRET: &str = "contoso-expired-secret";
/// Google customer id.
pub const GOOGLE_CUSTOMER: &str = "C01abcdef";
/// Google customer domain.
pub const GOOGLE_DOMAIN: &str = "example-workspace.test";

/// Operations a new RSA key allows by default.
pub fn default_rsa_ops() -> Vec<String> {
    [
        "encrypt",
        "decrypt",
        "sign",
        "verify",
        "wrapKey",
        "unwrapKey",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// Operations a new EC key allows by default.
pub fn default_ec_ops() -> Vec<String> {
    vec!["sign".to_owned(), "verify".to_owned()]
}

/// Builds a vault with no keys.
pub fn vault(
    name: &str,
    tenant_id: &str,
    cloud: Cloud,
    kind: VaultKind,
    model: PermissionModel,
) -> Vault {
    let location = match cloud {
        Cloud::Public => "westeurope",
        Cloud::China => "chinanorth3",
        Cloud::Usgov => "usgovvirginia",
    };
    Vault {
        name: name.to_owned(),
        host: format!("{name}.{}", host_suffix(cloud, kind)),
        cloud,
        kind,
        tenant_id: tenant_id.to_owned(),
        subscription_id: stable_guid(&format!("subscription/{tenant_id}")),
        resource_group: "rg-keyswitch".to_owned(),
        location: location.to_owned(),
        model,
        aliases: Vec::new(),
        keys: BTreeMap::new(),
        secrets: BTreeMap::new(),
        role_assignments: Vec::new(),
        access_policies: Vec::new(),
        throttle_limit: None,
        firewall: false,
        firewall_variant: FirewallVariant::default(),
        first_party_only: false,
        deleted_keys: BTreeMap::new(),
    }
}

/// Key material for a new version: stable (seeded) when `label` is given.
pub fn material(kty: Kty, bits: usize, crv: &str, label: Option<&str>) -> Material {
    match kty {
        Kty::Rsa | Kty::RsaHsm => Material::Rsa(match label {
            Some(l) => forge::stable(l, bits),
            None => forge::fresh(bits),
        }),
        // EC keys are stored for their type only: the coordinates are random
        // bytes, never used for cryptography.
        Kty::Ec | Kty::EcHsm => {
            let len = match crv {
                "P-384" => 48,
                "P-521" => 66,
                _ => 32,
            };
            Material::Ec {
                crv: crv.to_owned(),
                x: b64url(&random_bytes(len)),
                y: b64url(&random_bytes(len)),
            }
        }
    }
}

/// A new key version with default attributes.
pub fn version(kty: Kty, material: Material, version: String) -> KeyVersion {
    let t = now();
    let key_ops = match kty {
        Kty::Rsa | Kty::RsaHsm => default_rsa_ops(),
        Kty::Ec | Kty::EcHsm => default_ec_ops(),
    };
    KeyVersion {
        version,
        kty,
        material,
        enabled: true,
        nbf: None,
        exp: None,
        key_ops,
        created: t,
        updated: t,
        tags: std::collections::BTreeMap::new(),
    }
}

fn seeded_key(
    w: &mut World,
    vault: &mut Vault,
    name: &str,
    kty: Kty,
    bits: usize,
    tweak: impl FnOnce(&mut KeyVersion),
) {
    let label = format!("seed/{}/{name}/0", vault.name);
    let m = material(kty, bits, "P-256", Some(&label));
    if let Material::Rsa(k) = &m {
        w.warm.push(Arc::clone(k) as Arc<LazyRsa>);
    }
    let mut v = version(kty, m, stable_version(&label));
    tweak(&mut v);
    vault
        .keys
        .insert(name.to_owned(), Key { versions: vec![v] });
}

fn role(vault: &mut Vault, principal: &str, role_id: &str, key: Option<&str>) {
    let role_name = crate::keyvault::access::role_name(role_id).to_owned();
    vault.role_assignments.push(RoleAssignment {
        id: stable_guid(&format!("ra/{}/{principal}/{role_id}/{key:?}", vault.name)),
        principal_id: principal.to_owned(),
        role_id: role_id.to_owned(),
        role_name,
        key: key.map(str::to_owned),
    });
}

fn user(w: &mut World, tenant: &str, name: &str, upn: &str, roles: &[&str]) {
    w.users.push(User {
        oid: stable_guid(&format!("user/{upn}")),
        tenant_id: tenant.to_owned(),
        name: name.to_owned(),
        upn: upn.to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
    });
}

fn customer_app(
    w: &mut World,
    client_id: &str,
    tenant: &str,
    name: &str,
    secret: &str,
    expires_at: i64,
) -> String {
    let sp = stable_guid(&format!("sp/{client_id}/{tenant}"));
    w.customer_apps.push(CustomerApp {
        client_id: client_id.to_owned(),
        tenant_id: tenant.to_owned(),
        name: name.to_owned(),
        secrets: vec![AppSecret {
            id: stable_guid(&format!("secret/{client_id}")),
            value: secret.to_owned(),
            expires_at,
        }],
        redirect_uris: Vec::new(),
    });
    w.service_principals.push(ServicePrincipal {
        object_id: sp.clone(),
        tenant_id: tenant.to_owned(),
        app_id: client_id.to_owned(),
        display_name: name.to_owned(),
        consented_by: None,
        scope: String::new(),
    });
    sp
}

/// Builds the world for `config.seed`.
pub fn build(config: &Config) -> World {
    let connector = |cloud: Cloud, client_id: &str, secret: &str| ConnectorApp {
        client_id: client_id.to_owned(),
        secret: secret.to_owned(),
        name: "CyberSentriq KMS Connector".to_owned(),
        redirect_uris: config.redirect_uris.clone(),
        cloud,
        wids_claim: true,
    };
    let mut w = World {
        connector: Some(connector(
            Cloud::Public,
            &config.connector_client_id,
            &config.connector_secret,
        )),
        sovereign_connectors: vec![
            connector(
                Cloud::China,
                &config.connector_client_id_china,
                &config.connector_secret_china,
            ),
            connector(
                Cloud::Usgov,
                &config.connector_client_id_usgov,
                &config.connector_secret_usgov,
            ),
        ],
        google_client: Some(GoogleClient {
            client_id: config.google_client_id.clone(),
            secret: config.google_secret.clone(),
            redirect_uris: config.redirect_uris.clone(),
        }),
        ..World::default()
    };
    if config.seed == Seed::Empty {
        return w;
    }
    let t = now();

    w.tenants.push(Tenant {
        id: CONTOSO.to_owned(),
        name: "Contoso".to_owned(),
        domain: "contoso.onmicrosoft.com".to_owned(),
        cloud: Cloud::Public,
    });
    w.tenants.push(Tenant {
        id: FABRIKAM.to_owned(),
        name: "Fabrikam".to_owned(),
        domain: "fabrikam.onmicrosoft.com".to_owned(),
        cloud: Cloud::Public,
    });
    w.tenants.push(Tenant {
        id: CONTOSO_CHINA.to_owned(),
        name: "Contoso China".to_owned(),
        domain: "contosocn.partner.onmschina.cn".to_owned(),
        cloud: Cloud::China,
    });
    w.tenants.push(Tenant {
        id: CONTOSO_USGOV.to_owned(),
        name: "Contoso US Gov".to_owned(),
        domain: "contosogov.onmicrosoft.us".to_owned(),
        cloud: Cloud::Usgov,
    });
    user(
        &mut w,
        CONTOSO_CHINA,
        "Wei Chen",
        "wei@contosocn.partner.onmschina.cn",
        &[GLOBAL_ADMIN],
    );
    user(
        &mut w,
        CONTOSO_USGOV,
        "Gail Gov",
        "gail@contosogov.onmicrosoft.us",
        &[GLOBAL_ADMIN],
    );
    user(
        &mut w,
        CONTOSO,
        "Adele Vance",
        "adele@contoso.onmicrosoft.com",
        &[GLOBAL_ADMIN],
    );
    user(
        &mut w,
        CONTOSO,
        "Priya Shah",
        "priya@contoso.onmicrosoft.com",
        &[PRIVILEGED_ROLE_ADMIN],
    );
    user(
        &mut w,
        CONTOSO,
        "Grady Archie",
        "grady@contoso.onmicrosoft.com",
        &["f2ef992c-3afb-46b9-b7cf-a126ee74c451"],
    );
    user(
        &mut w,
        CONTOSO,
        "Pat Plain",
        "pat@contoso.onmicrosoft.com",
        &[],
    );
    user(
        &mut w,
        FABRIKAM,
        "Fiona Fabrikam",
        "fiona@fabrikam.onmicrosoft.com",
        &[GLOBAL_ADMIN],
    );
    user(
        &mut w,
        FABRIKAM,
        "Frank Plain",
        "frank@fabrikam.onmicrosoft.com",
        &[],
    );

    let app_sp = customer_app(
        &mut w,
        CUSTOMER_APP_ID,
        CONTOSO,
        "Contoso Vault Manager",
        CUSTOMER_APP_SECRET,
        t + 365 * 86_400,
    );
    let expired_sp = customer_app(
        &mut w,
        EXPIRED_APP_ID,
        CONTOSO,
        "Contoso Old Automation",
        EXPIRED_APP_SECRET,
        t - 30 * 86_400,
    );

    let mut kms = vault(
        "contoso-kms",
        CONTOSO,
        Cloud::Public,
        VaultKind::Vault,
        PermissionModel::Rbac,
    );
    seeded_key(&mut w, &mut kms, "company-kek", Kty::Rsa, 4096, |_| {});
    seeded_key(&mut w, &mut kms, "small-key", Kty::Rsa, 2048, |_| {});
    seeded_key(&mut w, &mut kms, "hsm-key", Kty::RsaHsm, 2048, |_| {});
    seeded_key(&mut w, &mut kms, "ec-key", Kty::Ec, 0, |_| {});
    seeded_key(&mut w, &mut kms, "disabled-key", Kty::Rsa, 2048, |v| {
        v.enabled = false
    });
    seeded_key(&mut w, &mut kms, "expired-key", Kty::Rsa, 2048, |v| {
        v.exp = Some(t - 86_400)
    });
    seeded_key(&mut w, &mut kms, "future-key", Kty::Rsa, 2048, |v| {
        v.nbf = Some(t + 30 * 86_400)
    });
    kms.secrets
        .insert("db-password".to_owned(), "not-a-key".to_owned());
    role(
        &mut kms,
        &app_sp,
        crate::keyvault::access::CRYPTO_USER,
        None,
    );
    role(
        &mut kms,
        &expired_sp,
        crate::keyvault::access::CRYPTO_USER,
        None,
    );
    w.vaults.push(kms);

    let mut legacy = vault(
        "legacy-kms",
        CONTOSO,
        Cloud::Public,
        VaultKind::Vault,
        PermissionModel::AccessPolicy,
    );
    seeded_key(&mut w, &mut legacy, "legacy-kek", Kty::Rsa, 2048, |_| {});
    legacy.access_policies.push(AccessPolicy {
        object_id: app_sp.clone(),
        keys: vec![
            "get".to_owned(),
            "wrapKey".to_owned(),
            "unwrapKey".to_owned(),
        ],
        secrets: Vec::new(),
    });
    w.vaults.push(legacy);

    let mut fab = vault(
        "fabrikam-kms",
        FABRIKAM,
        Cloud::Public,
        VaultKind::Vault,
        PermissionModel::Rbac,
    );
    seeded_key(&mut w, &mut fab, "fabrikam-kek", Kty::Rsa, 2048, |_| {});
    w.vaults.push(fab);

    let mut cn = vault(
        "contoso-cn",
        CONTOSO_CHINA,
        Cloud::China,
        VaultKind::Vault,
        PermissionModel::Rbac,
    );
    seeded_key(&mut w, &mut cn, "company-kek", Kty::Rsa, 2048, |_| {});
    w.vaults.push(cn);
    let mut gov = vault(
        "contoso-gov",
        CONTOSO_USGOV,
        Cloud::Usgov,
        VaultKind::Vault,
        PermissionModel::Rbac,
    );
    seeded_key(&mut w, &mut gov, "company-kek", Kty::Rsa, 2048, |_| {});
    w.vaults.push(gov);
    let mut hsm = vault(
        "contoso-hsm",
        CONTOSO,
        Cloud::Public,
        VaultKind::ManagedHsm,
        PermissionModel::Rbac,
    );
    seeded_key(&mut w, &mut hsm, "hsm-kek", Kty::RsaHsm, 2048, |_| {});
    w.vaults.push(hsm);

    w.google_customers.push(GoogleCustomer {
        id: GOOGLE_CUSTOMER.to_owned(),
        domain: GOOGLE_DOMAIN.to_owned(),
    });
    for (i, (name, local, role)) in [
        ("Sam Super", "super", GoogleRole::SuperAdmin),
        ("Dana Delegate", "delegated", GoogleRole::DelegatedAdmin),
        ("Uma User", "user", GoogleRole::User),
    ]
    .into_iter()
    .enumerate()
    {
        w.google_users.push(GoogleUser {
            id: format!("10876543210987654321{i}"),
            email: format!("{local}@{GOOGLE_DOMAIN}"),
            name: name.to_owned(),
            customer_id: Some(GOOGLE_CUSTOMER.to_owned()),
            role,
        });
    }
    w.google_users.push(GoogleUser {
        id: "108765432109876543219".to_owned(),
        email: "casey@gmail.test".to_owned(),
        name: "Casey Consumer".to_owned(),
        customer_id: None,
        role: GoogleRole::User,
    });

    let contoso_set = BackupSet::Microsoft365 {
        id: "bs-m365-contoso".to_owned(),
        name: "Contoso Microsoft 365".to_owned(),
        tenant_id: CONTOSO.to_owned(),
        tenant_name: "Contoso".to_owned(),
    };
    w.companies.insert(
        "acme".to_owned(),
        Company {
            id: "acme".to_owned(),
            name: "Acme Corp".to_owned(),
            backup_sets: vec![
                contoso_set.clone(),
                BackupSet::GoogleWorkspace {
                    id: "bs-gws-example".to_owned(),
                    name: "Example Workspace".to_owned(),
                    customer_id: GOOGLE_CUSTOMER.to_owned(),
                    domain: GOOGLE_DOMAIN.to_owned(),
                },
            ],
        },
    );
    w.companies.insert(
        "globex".to_owned(),
        Company {
            id: "globex".to_owned(),
            name: "Globex (two Microsoft 365 tenants)".to_owned(),
            backup_sets: vec![
                contoso_set,
                BackupSet::Microsoft365 {
                    id: "bs-m365-fabrikam".to_owned(),
                    name: "Fabrikam Microsoft 365".to_owned(),
                    tenant_id: FABRIKAM.to_owned(),
                    tenant_name: "Fabrikam".to_owned(),
                },
            ],
        },
    );
    w
}
