//! Issue 17 item 3: the commands the role guidance offers run as they are
//! copied. Through the edge, for a Key Vault in the public cloud and in
//! Azure China and for a Managed HSM: no placeholder is left, the shell
//! passes `bash -n` and then runs (with stand-ins for `az` and `terraform`
//! that record the arguments the copied block gives them), the Terraform
//! parses (python-hcl2) and names the vault, the role and the connector
//! under test; a vault that is not in the current subscription never gets
//! the role on a wider scope.

use keyswitch_integration::command_helpers::{
    Azure, SP_OBJECT_ID, SUBSCRIPTION, block, call, check_all, hcl, hcl_block,
    key_vault_role_calls, run_cli, run_shell, tab, tag_call,
};
use keyswitch_integration::*;
use serde_json::{Value, json};

/// The connector's Azure China registration in the test stack.
const CHINA_CONNECTOR: &str = "3c7d9e21-5b4a-4f6e-8a1c-2b9d0e6f7a31";

/// What the stand-in Azure CLI finds for `w`'s vault (`provider` its ARM
/// type).
fn azure_of(w: &World, provider: &str) -> Azure {
    Azure::finding(&w.vault, provider)
}

/// A fresh company with a setup at the role step for `w`; its guidance.
async fn guidance_for(w: &World, prefix: &str) -> (String, Value) {
    let company = fresh_company(prefix);
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, w).await, 200);
    let (s, g) = call_edge(&company, &t).await;
    assert_eq!(s, 200, "{g}");
    (company, g)
}

async fn call_edge(company: &str, t: &str) -> (u16, Value) {
    keyswitch_integration::call(
        "GET",
        &format!("{}/role-assignment", kms(company)),
        Some(t),
        None,
    )
    .await
}

#[tokio::test]
async fn key_vault_commands_run_as_copied_in_every_tool() {
    let w = world(true, 3072).await;
    let (company, g) = guidance_for(&w, "it-cmds").await;
    let cmds = &g["commands"];
    assert!(check_all(cmds) >= 6, "{cmds}");
    assert!(check_all(&g["binding"]["commands"]) >= 2);
    let azure = azure_of(&w, "Microsoft.KeyVault/vaults");
    let app = CONNECTOR_CLIENT_ID;

    // Azure CLI: the scope is looked up, the connector's app id assigned.
    let cli = block(tab(cmds, "azure_cli"), "shell");
    assert_eq!(g["az_commands"], cli);
    let ran = run_shell(cli, &azure);
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(ran.calls, key_vault_role_calls(&azure, app));

    // Not in the current subscription: no assignment at all (an empty
    // --scope would make az assign on the whole subscription).
    let elsewhere = Azure {
        vault_name: "another-vault".to_owned(),
        ..azure.clone()
    };
    let ran = run_shell(cli, &elsewhere);
    assert!(!ran.ok);
    assert!(
        ran.stderr.contains("is not in the current subscription"),
        "{}",
        ran.stderr
    );
    assert_eq!(ran.calls.len(), 1, "{:?}", ran.calls);

    // Terraform: parses, names the vault, the role and the connector; the
    // apply block runs in the vault's subscription.
    let tf_tab = tab(cmds, "terraform");
    let tf = hcl(block(tf_tab, "hcl"));
    assert_eq!(
        hcl_block(&tf, "data", "azuread_service_principal", "keyswitch")["client_id"],
        app
    );
    let vault = hcl_block(&tf, "data", "azurerm_resources", "keyswitch_vault");
    assert_eq!(vault["name"], w.vault.as_str());
    assert_eq!(vault["type"], "Microsoft.KeyVault/vaults");
    let ra = hcl_block(
        &tf,
        "resource",
        "azurerm_role_assignment",
        "keyswitch_crypto_user",
    );
    assert_eq!(ra["role_definition_name"], "Key Vault Crypto User");
    assert_eq!(ra["principal_type"], "ServicePrincipal");
    assert_eq!(
        ra["principal_id"],
        "${data.azuread_service_principal.keyswitch.object_id}"
    );
    assert_eq!(
        ra["scope"],
        "${one(data.azurerm_resources.keyswitch_vault.resources).id}"
    );
    assert_eq!(tf["provider"][0]["azurerm"]["environment"], "public");
    let ran = run_shell(block(tf_tab, "shell"), &azure);
    assert!(ran.ok, "{}", ran.stderr);
    let sub = format!("ARM_SUBSCRIPTION_ID={SUBSCRIPTION}");
    assert_eq!(
        ran.calls[1..],
        [
            call(&["terraform", "init", &sub]),
            call(&["terraform", "apply", &sub]),
        ]
    );

    // Bicep: the file names the vault and the role; the deploy block looks
    // up the resource group and the principal's object id and passes them.
    let bicep_tab = tab(cmds, "bicep");
    let file = block(bicep_tab, "bicep");
    assert!(file.contains(&format!("  name: '{}'\n", w.vault)), "{file}");
    assert!(
        file.contains("'12338af0-0e69-4776-bea7-57ae8d297424'"),
        "{file}"
    );
    assert!(file.contains(&format!("az ad sp show --id {app} --query id -o tsv")));
    let ran = run_shell(block(bicep_tab, "shell"), &azure);
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(
        ran.calls,
        [
            call(&[
                "az",
                "keyvault",
                "show",
                "--name",
                &w.vault,
                "--query",
                "resourceGroup",
                "-o",
                "tsv"
            ]),
            call(&[
                "az", "ad", "sp", "show", "--id", app, "--query", "id", "-o", "tsv"
            ]),
            call(&[
                "az",
                "deployment",
                "group",
                "create",
                "--resource-group",
                "rg-kms",
                "--template-file",
                "keyswitch-role.bicep",
                "--parameters",
                &format!("principalObjectId={SP_OBJECT_ID}"),
            ]),
        ]
    );

    // Azure PowerShell names the same vault, role and application.
    let ps = block(tab(cmds, "azure_powershell"), "powershell");
    assert!(
        ps.contains(&format!("Get-AzKeyVault -VaultName '{}'", w.vault)),
        "{ps}"
    );
    assert!(ps.contains(&format!(
        "New-AzRoleAssignment -ApplicationId '{app}' -RoleDefinitionName 'Key Vault Crypto User' -Scope $vault.ResourceId"
    )));

    // The tag command sets exactly this company's id on this key.
    assert_eq!(
        run_cli(&g["binding"]["commands"], &azure),
        [tag_call(&w.vault, &w.key, &company)]
    );
}

#[tokio::test]
async fn azure_china_commands_sign_in_to_that_cloud_first() {
    let w = world_in(
        json!({"cloud": "china"}),
        json!({}),
        json!({"kty": "RSA-HSM", "size": 2048}),
    )
    .await;
    assert!(w.vault_uri.ends_with(".vault.azure.cn"), "{}", w.vault_uri);
    let (_, g) = guidance_for(&w, "it-cmds-cn").await;
    let cmds = &g["commands"];
    check_all(cmds);
    let azure = azure_of(&w, "Microsoft.KeyVault/vaults");
    let ran = run_shell(block(tab(cmds, "azure_cli"), "shell"), &azure);
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(
        ran.calls[..2],
        [
            call(&["az", "cloud", "set", "--name", "AzureChinaCloud"]),
            call(&["az", "login"]),
        ]
    );
    assert_eq!(
        ran.calls[2..],
        key_vault_role_calls(&azure, CHINA_CONNECTOR)
    );

    let tf = hcl(block(tab(cmds, "terraform"), "hcl"));
    assert_eq!(tf["provider"][0]["azurerm"]["environment"], "china");
    assert_eq!(tf["provider"][1]["azuread"]["environment"], "china");
    assert_eq!(
        hcl_block(&tf, "data", "azuread_service_principal", "keyswitch")["client_id"],
        CHINA_CONNECTOR
    );
    assert!(
        block(tab(cmds, "azure_powershell"), "powershell")
            .contains("Connect-AzAccount -Environment AzureChinaCloud")
    );
    let ran = run_shell(block(tab(cmds, "bicep"), "shell"), &azure);
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(
        ran.calls[0],
        call(&["az", "cloud", "set", "--name", "AzureChinaCloud"])
    );
}

#[tokio::test]
async fn managed_hsm_commands_use_its_local_rbac_on_the_key() {
    let w = world_in(
        json!({"cloud": "public"}),
        json!({"kind": "managed_hsm"}),
        json!({"kty": "RSA-HSM", "size": 2048}),
    )
    .await;
    let company = fresh_company("it-cmds-hsm");
    let t = session("company_admin", &[&company]).await;
    assert_eq!(start_and_consent(&company, &t, &w).await, 200);
    let (s, g) = call_edge(&company, &t).await;
    assert_eq!(s, 200, "{g}");
    let cmds = &g["commands"];
    check_all(cmds);
    let azure = azure_of(&w, "Microsoft.KeyVault/managedHSMs");
    let ran = run_shell(block(tab(cmds, "azure_cli"), "shell"), &azure);
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(
        ran.calls,
        [call(&[
            "az",
            "keyvault",
            "role",
            "assignment",
            "create",
            "--hsm-name",
            &w.vault,
            "--assignee",
            CONNECTOR_CLIENT_ID,
            "--role",
            "Managed HSM Crypto User",
            "--scope",
            &format!("/keys/{}", w.key),
        ])]
    );
    let tf_tab = tab(cmds, "terraform");
    let tf = hcl(block(tf_tab, "hcl"));
    let hsm = hcl_block(&tf, "data", "azurerm_resources", "keyswitch_hsm");
    assert_eq!(hsm["name"], w.vault.as_str());
    assert_eq!(hsm["type"], "Microsoft.KeyVault/managedHSMs");
    let def = hcl_block(
        &tf,
        "data",
        "azurerm_key_vault_managed_hardware_security_module_role_definition",
        "crypto_user",
    );
    assert_eq!(def["name"], "21dbd100-6940-42c2-9190-5d6cb909625b");
    let ra = hcl_block(
        &tf,
        "resource",
        "azurerm_key_vault_managed_hardware_security_module_role_assignment",
        "keyswitch_crypto_user",
    );
    assert_eq!(ra["scope"], format!("/keys/{}", w.key));
    let ran = run_shell(block(tf_tab, "shell"), &azure);
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(
        ran.calls[0],
        call(&[
            "az",
            "keyvault",
            "show",
            "--hsm-name",
            &w.vault,
            "--query",
            "id",
            "-o",
            "tsv"
        ])
    );
    // Bicep cannot reach the HSM's local RBAC: it says so, offers nothing.
    let bicep = tab(cmds, "bicep");
    assert_eq!(bicep["blocks"], json!([]));
    assert!(
        bicep["note"]
            .as_str()
            .is_some_and(|n| n.contains("local RBAC"))
    );
    assert!(
        block(tab(cmds, "azure_powershell"), "powershell").contains(&format!(
            "New-AzKeyVaultRoleAssignment -HsmName '{}' -RoleDefinitionName 'Managed HSM Crypto User' -ApplicationId '{CONNECTOR_CLIENT_ID}' -Scope '/keys/{}'",
            w.vault, w.key
        ))
    );

    // With the role but no tag, the refusal's fix names the HSM's command
    // (--hsm-name) and its portal blade, not a Key Vault's.
    control(
        "POST",
        &format!("/vaults/{}/role-assignments", w.vault),
        Some(json!({"principal": format!("connector:{}", w.tenant), "role": "Managed HSM Crypto User", "key": w.key})),
    )
    .await;
    let r = test_connection(&company, &t).await;
    assert_error(&r, 422, "key_binding_missing");
    let fix = r.1["fix"].as_str().expect("a fix");
    assert!(
        fix.contains(&format!(
            "az keyvault key set-attributes --hsm-name {} --name {} --tags keyswitch-company=\"{company}\"",
            w.vault, w.key
        )),
        "{fix}"
    );
    assert!(fix.contains("Azure Key Vault Managed HSMs"), "{fix}");
    assert!(!fix.contains("--vault-name"), "{fix}");
    let ran = run_shell(
        block(tab(&g["binding"]["commands"], "azure_cli"), "shell"),
        &azure,
    );
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(
        ran.calls[0][4..6],
        ["--hsm-name".to_owned(), w.vault.clone()]
    );
}
