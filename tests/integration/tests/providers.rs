//! Every starting provider, switched to an Azure Key Vault key by the real
//! finalization: platform → Azure is in `finalize.rs`; here AWS KMS (moto,
//! through the simulator's `/aws/kms` proxy) → Azure, and Azure → another
//! Azure key in a new vault. Data keys made before each switch decrypt after
//! it, and the exported company key bytes are the same across switches.

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;

#[tokio::test]
async fn aws_kms_to_azure_keeps_the_company_key() {
    let w = world(true, 2048).await;
    let company = m365_company("it-aws", &w).await;
    let t = session("partner_admin", &[&company]).await;
    let admin = session("company_admin", &[&company]).await;
    let before = status_of(&company, &t).await;
    assert_eq!(before["provider"]["kind"], "platform", "{before}");
    let mut keys = vec![data_key(&company).await];

    // Only a Partner Admin may move the company onto an AWS KMS key.
    let arn = moto_create_key().await;
    let r = move_to_aws(&company, &admin, &arn).await;
    assert_error(&r, 403, "forbidden_role");
    assert_eq!(
        status_of(&company, &t).await,
        before,
        "a refused move changed the state"
    );
    let (s, v) = move_to_aws(&company, &t, &arn).await;
    assert_eq!(s, 200, "{v}");
    let on_aws = status_of(&company, &t).await;
    assert_eq!(on_aws["provider"]["kind"], "aws_kms", "{on_aws}");
    assert_eq!(on_aws["provider"]["key_id"], arn.as_str(), "{on_aws}");
    assert_ne!(
        on_aws["company_key"]["wrapped_fingerprint"],
        before["company_key"]["wrapped_fingerprint"]
    );
    // The KMS calls went through the simulator's proxy.
    let log = control("GET", "/requests", None).await.to_string();
    assert!(log.contains("/aws/kms"), "no KMS call in the request log");
    assert_data_keys(&company, &keys).await;
    keys.push(data_key(&company).await);

    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(done["provider"]["kind"], "azure_key_vault", "{done}");
    assert_data_keys(&company, &keys).await;
    keys.push(data_key(&company).await);
    assert_data_keys(&company, &keys).await;
    let (s, file) = export(&company, &t).await;
    assert_eq!(s, 200, "{file}");
    assert_eq!(file["key"].as_str().map(str::len), Some(44), "{file}");
}

#[tokio::test]
async fn azure_to_another_azure_key_keeps_the_company_key() {
    let w = world(true, 2048).await;
    let company = m365_company("it-az2", &w).await;
    let t = session("partner_admin", &[&company]).await;
    let mut keys = vec![data_key(&company).await];

    let first = switch_to(&company, &t, &w, &w).await;
    assert_eq!(first["stage"], "done", "{first}");
    let kid1 = first["provider"]["kid"].as_str().expect("kid").to_owned();
    assert_data_keys(&company, &keys).await;
    let (s, file1) = export(&company, &t).await;
    assert_eq!(s, 200, "{file1}");
    keys.push(data_key(&company).await);

    // A second switch, to a key in a new vault (another tenant's vault).
    let w2 = world(true, 3072).await;
    let second = switch_to(&company, &t, &w2, &w).await;
    assert_eq!(second["stage"], "done", "{second}");
    let kid2 = second["provider"]["kid"].as_str().expect("kid");
    assert!(
        kid2.starts_with(&format!("{}/keys/{}/", w2.vault_uri, w2.key)),
        "{kid2} (was {kid1})"
    );
    assert_data_keys(&company, &keys).await;

    // The company key's bytes are the same: every completed switch opens
    // the one-time export again, so it answers at once; compare.
    let (s, file2) = export(&company, &t).await;
    assert_eq!(s, 200, "the export window did not open again: {file2}");
    assert_eq!(file2["key"], file1["key"], "the company key changed");
}

#[tokio::test]
async fn export_bytes_are_the_same_through_aws_kms_and_back_to_azure() {
    let w = world(true, 2048).await;
    let company = m365_company("it-aws-bytes", &w).await;
    let t = session("partner_admin", &[&company]).await;
    let mut keys = vec![data_key(&company).await];
    let first = switch_to(&company, &t, &w, &w).await;
    assert_eq!(first["stage"], "done", "{first}");
    let (s, file1) = export(&company, &t).await;
    assert_eq!(s, 200, "{file1}");

    // Azure → AWS KMS (operator move), then AWS KMS → a new Azure key.
    let arn = moto_create_key().await;
    let (s, v) = move_to_aws(&company, &t, &arn).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(status_of(&company, &t).await["provider"]["kind"], "aws_kms");
    assert_data_keys(&company, &keys).await;
    keys.push(data_key(&company).await);
    let w2 = world(true, 2048).await;
    let done = switch_to(&company, &t, &w2, &w).await;
    assert_eq!(done["stage"], "done", "{done}");
    assert_eq!(done["provider"]["kind"], "azure_key_vault", "{done}");
    assert_data_keys(&company, &keys).await;

    // The completed switch opened the one-time export again: it answers at once.
    let (s, file2) = export(&company, &t).await;
    assert_eq!(s, 200, "the export window did not open again: {file2}");
    assert_eq!(file2["key"], file1["key"], "the company key changed");
}
