//! Moving a company onto an AWS KMS key that AWS KMS does not know is the
//! customer's to fix: 404 `not_found` (not 502 "try again", as schemathesis
//! once found), and the company stays on its provider with its key.

use keyswitch_integration::{assert_error, call, fresh_company, session};
use serde_json::json;

#[tokio::test]
async fn unknown_aws_kms_key_is_404_and_changes_nothing() {
    let company = fresh_company("awsnf");
    let token = session("partner_admin", &[&company]).await;
    let kms = format!("/api/companies/{company}/kms");
    let (status, before) = call("GET", &kms, Some(&token), None).await;
    assert_eq!(status, 200, "{before}");

    let key_id = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-00000000dead";
    let got = call(
        "POST",
        &format!("{kms}/aws-kms"),
        Some(&token),
        Some(json!({ "key_id": key_id })),
    )
    .await;
    assert_error(&got, 404, "not_found");
    assert!(
        got.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("AWS KMS key")),
        "{}",
        got.1
    );

    let (status, after) = call("GET", &kms, Some(&token), None).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["provider"], before["provider"], "{after}");
    assert_eq!(after["company_key"], before["company_key"], "{after}");
}
