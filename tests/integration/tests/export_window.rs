//! The export window ends (issue 13, item 5): the worker is restarted with
//! `EXPORT_WINDOW_SECONDS=4` (a later `--var` wins), the window of a switch
//! that completed more than 4 s earlier has ended, and the export is refused
//! with its own catalog error; the worker then goes back to the stack's
//! vars. One test in its own binary: nothing else runs during the restarts.

use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;

/// Restarts the worker with the stack's own vars when dropped.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        restart_worker_with(&[]);
    }
}

#[tokio::test]
async fn an_export_after_the_window_is_refused_with_what_to_do() {
    let w = world(true, 2048).await;
    let company = m365_company("it-xwin", &w).await;
    let t = session("company_admin", &[&company]).await;
    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");

    let _restore = Restore;
    restart_worker_with(&["EXPORT_WINDOW_SECONDS:4"]);
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let view = call(
        "GET",
        &format!("{}/export/verification", kms(&company)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(view.0, 200, "{}", view.1);
    assert_eq!(view.1["export_open"], false, "{}", view.1);
    assert!(view.1.get("export_closes_at").is_none(), "{}", view.1);

    let r = export(&company, &t).await;
    assert_error(&r, 409, "export_window_expired");
    assert_eq!(r.1["message"], "The one-time key export window has ended");
    assert!(
        r.1["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("Verify every tenant again"),
        "{}",
        r.1
    );
    assert!(
        r.1["detail"].as_str().unwrap_or_default().contains(" UTC"),
        "{}",
        r.1
    );
    assert!(r.1.get("key").is_none());
    let (_, trail) = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    let exports: Vec<_> = trail["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|e| e["action"] == "company_key_export")
        .map(|e| (e["outcome"].clone(), e["detail"].clone()))
        .collect();
    assert_eq!(
        exports,
        [("refused".into(), "export_window_expired".into())],
        "{trail}"
    );
}
