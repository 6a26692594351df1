//! Component tests, in headless Chromium: the widgets of the key-health part
//! of Manage KMS (issue 14) — the health badge says its state in words and a
//! symbol, Check configuration lists every problem with its fix at once, the
//! key-version history marks the version in use, relative times read well.
#![cfg(target_arch = "wasm32")]

mod support;

use keyswitch_app::components::check_results::{CheckResults, CheckRow, Outcome, summary};
use keyswitch_app::components::health_badge::{HealthBadge, health_look};
use keyswitch_app::components::kid_history::{KidHistory, KidRow};
use keyswitch_app::components::when::relative;
use keyswitch_shared::ErrorBody;
use leptos::prelude::*;
use support::{find, find_all, mount, text};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn problem(code: &str, message: &str, fix: &str) -> ErrorBody {
    serde_json::from_value(serde_json::json!({"code": code, "message": message, "fix": fix}))
        .expect("an error body")
}

#[wasm_bindgen_test]
fn every_health_state_has_a_word_and_a_symbol() {
    for (state, label) in [
        ("healthy", "Healthy"),
        ("degraded", "Degraded"),
        ("access_lost", "Access lost"),
        ("unknown", "Not checked yet"),
    ] {
        let host = mount(move || view! { <HealthBadge state=state.to_owned()/> });
        let badge = find(&host, "[data-testid=health-badge]");
        assert_eq!(badge.get_attribute("data-state").as_deref(), Some(state));
        // The symbol is decoration; the word is what a screen reader reads.
        assert!(badge.text_content().unwrap_or_default().ends_with(label));
        assert_eq!(
            find(&host, "[data-testid=health-badge] [aria-hidden=true]")
                .text_content()
                .unwrap_or_default()
                .trim(),
            health_look(state).1
        );
    }
}

#[wasm_bindgen_test]
fn check_configuration_lists_every_problem_with_its_fix() {
    let checks = vec![
        CheckRow {
            name: "Admin consent".into(),
            outcome: Outcome::Ok,
            detail: None,
            problem: None,
        },
        CheckRow {
            name: "Key enabled".into(),
            outcome: Outcome::Problem,
            detail: None,
            problem: Some(problem(
                "key_disabled",
                "The key is disabled",
                "Enable it: az keyvault key set-attributes --enabled true",
            )),
        },
        CheckRow {
            name: "Vault firewall".into(),
            outcome: Outcome::Problem,
            detail: None,
            problem: Some(problem(
                "vault_firewall",
                "The vault's firewall blocks keyswitch",
                "Allow keyswitch's addresses in the vault's Networking settings.",
            )),
        },
    ];
    assert_eq!(summary(&checks), "2 problems found in 3 checks");
    let host = mount(move || view! { <CheckResults checks=checks.clone()/> });
    assert_eq!(
        text(&host, "[data-testid=check-summary]"),
        "2 problems found in 3 checks"
    );
    let problems = find_all(&host, ".problem-list > li");
    assert_eq!(problems.len(), 2);
    let first = problems[0].text_content().unwrap_or_default();
    assert!(first.contains("Key enabled"), "{first}");
    assert!(first.contains("The key is disabled"), "{first}");
    assert!(
        first.contains("How to fix it: Enable it: az keyvault key set-attributes --enabled true"),
        "{first}"
    );
    // Problems inside the list are standing reasons, not new alerts.
    assert!(find_all(&host, "[role=alert]").is_empty());
    // Every check is listed, with its outcome in words.
    let all = find_all(&host, ".check-list li");
    assert_eq!(all.len(), 3);
    assert!(
        all[0]
            .text_content()
            .unwrap_or_default()
            .ends_with("Admin consent: passed")
    );
    assert!(
        all[2]
            .text_content()
            .unwrap_or_default()
            .ends_with("Vault firewall: problem")
    );
}

#[wasm_bindgen_test]
fn no_problem_says_so() {
    let checks = vec![CheckRow {
        name: "Key size".into(),
        outcome: Outcome::Ok,
        detail: Some("RSA 3072".into()),
        problem: None,
    }];
    let host = mount(move || view! { <CheckResults checks=checks.clone()/> });
    assert_eq!(
        text(&host, "[data-testid=check-summary]"),
        "No problems found in 1 check"
    );
    assert!(find_all(&host, ".problem-list").is_empty());
    assert_eq!(
        text(&host, ".check-list li"),
        "✓ Key size: passed · RSA 3072"
    );
}

#[wasm_bindgen_test]
fn warnings_and_skipped_checks_are_told_apart_from_problems() {
    let checks = vec![
        CheckRow {
            name: "Key expiry".into(),
            outcome: Outcome::Warning,
            detail: None,
            problem: Some(problem(
                "key_expiring",
                "The key expires in 9 days",
                "Extend it.",
            )),
        },
        CheckRow {
            name: "Role".into(),
            outcome: Outcome::Problem,
            detail: None,
            problem: Some(problem(
                "role_removed",
                "The role is gone",
                "Assign it again.",
            )),
        },
        CheckRow {
            name: "Wrap and unwrap".into(),
            outcome: Outcome::Skipped,
            detail: None,
            problem: Some(problem(
                "role_removed",
                "The role is gone",
                "Assign it again.",
            )),
        },
    ];
    assert_eq!(
        summary(&checks),
        "1 problem and 1 warning found in 3 checks"
    );
    let host = mount(move || view! { <CheckResults checks=checks.clone()/> });
    let listed: Vec<String> = find_all(&host, ".problem-list > li .problem-check")
        .iter()
        .map(|c| c.text_content().unwrap_or_default())
        .collect();
    // Problems first, then warnings; a skipped check is not a new problem.
    assert_eq!(listed, vec!["Role", "Key expiry (warning)"]);
    assert!(
        find_all(&host, ".check-list li")[2]
            .text_content()
            .unwrap_or_default()
            .contains("Wrap and unwrap: not checked")
    );
}

#[wasm_bindgen_test]
fn kid_history_marks_the_version_in_use() {
    let rows = vec![
        KidRow {
            kid: "https://v.vault.azure.net/keys/k/bbbb".into(),
            version: "bbbb".into(),
            from_ms: Some(1_800_000_000_000),
            until_ms: None,
            how: "Rotation in Key Vault".into(),
        },
        KidRow {
            kid: "https://v.vault.azure.net/keys/k/aaaa".into(),
            version: "aaaa".into(),
            from_ms: Some(1_790_000_000_000),
            until_ms: Some(1_800_000_000_000),
            how: "Switch".into(),
        },
    ];
    let host = mount(move || view! { <KidHistory rows=rows.clone()/> });
    let current = text(&host, "tr[data-version=bbbb]");
    assert!(current.contains("in use"), "{current}");
    assert!(current.contains("since 2027-01-15"), "{current}");
    let old = text(&host, "tr[data-version=aaaa]");
    assert!(!old.contains("in use"), "{old}");
    assert!(old.contains(" to 2027-01-15"), "{old}");
}

#[wasm_bindgen_test]
fn relative_times_read_well() {
    let now = 1_800_000_000_000;
    assert_eq!(relative(now - 10_000, now), "just now");
    assert_eq!(relative(now + 10_000, now), "in a moment");
    assert_eq!(relative(now + 4 * 60_000, now), "in 4 min");
    assert_eq!(relative(now - 3 * 3_600_000, now), "3 h ago");
    assert_eq!(relative(now + 86_400_000 * 12, now), "in 12 days");
    assert_eq!(relative(now - 86_400_000 * 2, now), "2 days ago");
}

mod panel {
    use super::*;
    use keyswitch_app::pages::manage_kms::health::{
        ExpiryFacts, HealthFacts, KeyHealthPanel, duration_words,
    };

    const NOW: u64 = 1_800_000_000_000;

    fn facts() -> HealthFacts {
        HealthFacts {
            state: "access_lost".into(),
            cause: Some(problem(
                "key_disabled",
                "The key is disabled in Azure Key Vault",
                "Enable the key: az keyvault key set-attributes --vault-name v --name k --enabled true",
            )),
            since_ms: Some(NOW - 120_000),
            last_check_ms: Some(NOW - 60_000),
            next_check_ms: Some(NOW + 240_000),
            last_probe_ms: None,
            interval_secs: Some(300),
            checking: false,
            cache_seconds: Some(300),
            expires_at_s: None,
            expiry_warning: None,
        }
    }

    #[wasm_bindgen_test]
    fn access_lost_shows_the_cause_its_fix_the_checks_and_the_cache_time() {
        let host = mount(move || view! { <KeyHealthPanel facts=facts() now=NOW/> });
        assert_eq!(
            find(&host, "[data-testid=health-badge]")
                .get_attribute("data-state")
                .as_deref(),
            Some("access_lost")
        );
        let status = text(&host, "[data-testid=health-status]");
        assert!(status.contains("Access lost"), "{status}");
        assert!(
            status.contains("since 2027-01-15 07:58:00 UTC (2 min ago)"),
            "{status}"
        );
        assert!(
            status.contains("The key is disabled in Azure Key Vault"),
            "{status}"
        );
        assert!(status.contains("How to fix it: Enable the key"), "{status}");
        assert_eq!(
            text(&host, "[data-testid=last-check]"),
            "2027-01-15 07:59:00 UTC (1 min ago)"
        );
        assert!(
            text(&host, "[data-testid=next-check]")
                .starts_with("2027-01-15 08:04:00 UTC (in 4 min)")
        );
        assert!(text(&host, "[data-testid=cache-time]").starts_with("5 minutes"));
        assert!(text(&host, "[data-testid=next-check]").contains("every 5 minutes"));
        assert_eq!(text(&host, "[data-testid=last-probe]"), "Not yet");
        // No Check now without a handler; no expiry line without an exp.
        assert!(find_all(&host, "button").is_empty());
        assert!(find_all(&host, "[data-testid=key-expires]").is_empty());
    }

    #[wasm_bindgen_test]
    async fn expiry_warning_shows_the_commands_for_each_tool_ready_to_copy() {
        let mut f = facts();
        f.state = "healthy".into();
        f.cause = None;
        f.expires_at_s = Some(1_801_000_000);
        let vault: keyswitch_shared::VaultUri = "https://contoso-kv.vault.azure.net"
            .parse()
            .expect("a vault");
        let commands = keyswitch_shared::commands::expiry::Expiry {
            vault: &vault,
            key: "k",
            version: None,
            expires: "2027-06-01T00:00:00Z",
        }
        .tabs();
        f.expiry_warning = Some(ExpiryFacts {
            days_left: 11,
            message: "The key k in vault v expires on 2027-01-26 21:46 UTC (11 day(s) left)."
                .into(),
            commands,
        });
        let host = mount(move || view! { <KeyHealthPanel facts=f.clone() now=NOW/> });
        let warning = text(&host, "[data-testid=expiry-warning]");
        assert!(
            warning.starts_with("Your key expires in 11 days"),
            "{warning}"
        );
        assert!(
            warning.contains("expires on 2027-01-26 21:46 UTC"),
            "{warning}"
        );
        // Tabs for the Azure CLI and Azure PowerShell; the CLI's shown
        // first: extend, then rotate, each with its copy button.
        let tools: Vec<String> = find_all(&host, "[data-testid=expiry-warning] [role=tab]")
            .iter()
            .map(|t| t.text_content().unwrap_or_default())
            .collect();
        assert_eq!(tools, ["Azure CLI", "Azure PowerShell"]);
        let visible = |host: &web_sys::HtmlElement| -> Vec<String> {
            find_all(
                host,
                "[data-testid=expiry-warning] [role=tabpanel]:not([hidden]) pre code",
            )
            .iter()
            .map(|c| c.text_content().unwrap_or_default())
            .collect()
        };
        assert_eq!(
            visible(&host),
            vec![
                "az keyvault key set-attributes --vault-name contoso-kv --name k --expires 2027-06-01T00:00:00Z\n",
                "az keyvault key rotate --vault-name contoso-kv --name k\n",
            ]
        );
        assert_eq!(
            find_all(
                &host,
                "[data-testid=expiry-warning] [role=tabpanel]:not([hidden]) button"
            )
            .len(),
            2
        );
        find_all(&host, "[data-testid=expiry-warning] [role=tab]")[1].click();
        support::tick().await;
        assert_eq!(
            visible(&host),
            vec![
                "Update-AzKeyVaultKey -VaultName 'contoso-kv' -Name 'k' -Expires ([datetime]'2027-06-01T00:00:00Z')\n",
                "Invoke-AzKeyVaultKeyRotation -VaultName 'contoso-kv' -Name 'k'\n",
            ]
        );
        assert!(text(&host, "[data-testid=key-expires]").contains("(in 12 days)"));
    }

    #[wasm_bindgen_test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(300), "5 minutes");
        assert_eq!(duration_words(60), "1 minute");
        assert_eq!(duration_words(6), "6 seconds");
        assert_eq!(duration_words(90), "90 seconds");
    }
}

mod wiring {
    use super::*;
    use keyswitch_app::pages::manage_kms::key_versions::kid_rows;
    use keyswitch_shared::api::KmsOverview;

    fn overview(provider: serde_json::Value, extra: serde_json::Value) -> KmsOverview {
        let mut o = serde_json::json!({
            "company_id": "acme",
            "provider": provider,
            "backup_set_count": 0,
            "stage": "done",
            "pending": null,
            "company_key": {"wrapped_fingerprint": "ab", "created_at_ms": 1},
        });
        if let (Some(o), Some(extra)) = (o.as_object_mut(), extra.as_object()) {
            o.extend(extra.clone());
        }
        serde_json::from_value(o).expect("an overview")
    }

    fn azure() -> serde_json::Value {
        serde_json::json!({
            "kind": "azure_key_vault",
            "vault_uri": "https://contoso-kms.vault.azure.net",
            "key_name": "k",
            "kid": "https://contoso-kms.vault.azure.net/keys/k/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        })
    }

    #[wasm_bindgen_test]
    fn the_kid_history_of_the_status_view_becomes_rows_newest_first() {
        let o = overview(
            azure(),
            serde_json::json!({"kid_history": [
                {"kid": "https://contoso-kms.vault.azure.net/keys/k/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "from_ms": 2000, "until_ms": null, "reason": "rotation"},
                {"kid": "https://contoso-kms.vault.azure.net/keys/k/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "from_ms": null, "until_ms": 2000, "reason": "switch"},
            ]}),
        );
        let rows = kid_rows(&o).expect("an Azure provider has a history");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].version, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        assert_eq!(rows[0].until_ms, None);
        assert!(rows[0].how.contains("re-wrapped by keyswitch"));
        assert_eq!(rows[1].from_ms, None);
        assert_eq!(rows[1].how, "Switch to Azure Key Vault");
        let host = mount(move || view! { <KidHistory rows=rows.clone()/> });
        assert!(
            text(&host, "tr[data-version=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]")
                .contains("before the history was kept to ")
        );
    }

    #[wasm_bindgen_test]
    fn the_platform_provider_has_no_key_versions() {
        let o = overview(
            serde_json::json!({"kind": "platform"}),
            serde_json::json!({}),
        );
        assert_eq!(kid_rows(&o), None);
    }
}
