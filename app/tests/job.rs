//! Component test, in headless Chromium: `Job` (the console's stand-in for
//! Leptos's `Action`) is pending while any run is under way, holds the
//! newest run's input meanwhile, keeps every answer as it arrives, and its
//! value can be cleared by the screen.
#![cfg(target_arch = "wasm32")]

mod support;

use keyswitch_app::job::Job;
use leptos::prelude::*;
use support::{mount, sleep, tick};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn pending_input_and_value_follow_each_run() {
    let shown = RwSignal::new(None::<Job<u32, String>>);
    let host = mount(move || {
        let job = Job::new(|n: &u32| {
            let n = *n;
            async move {
                sleep(50).await;
                format!("answer {n}")
            }
        });
        shown.set(Some(job));
        view! {
            <p id="state">
                {move || if job.pending().get() { "busy".to_owned() } else { job.value().get().unwrap_or_default() }}
            </p>
        }
    });
    tick().await;
    let job = shown.get_untracked().expect("mounted");
    assert!(!job.pending().get_untracked());
    assert_eq!(job.value().get_untracked(), None, "nothing ran yet");
    assert_eq!(job.input().get_untracked(), None);

    job.dispatch(1);
    assert!(job.pending().get_untracked(), "pending at once");
    assert_eq!(job.input().get_untracked(), Some(1));
    tick().await;
    assert_eq!(support::text(&host, "#state"), "busy");
    sleep(100).await;
    assert!(!job.pending().get_untracked());
    assert_eq!(job.value().get_untracked().as_deref(), Some("answer 1"));
    assert_eq!(
        job.input().get_untracked(),
        None,
        "cleared once nothing runs"
    );
    assert_eq!(support::text(&host, "#state"), "answer 1");

    job.value().set(None);
    tick().await;
    assert_eq!(
        support::text(&host, "#state"),
        "",
        "the screen may clear it"
    );
}

#[wasm_bindgen_test]
async fn overlapping_runs_stay_pending_until_the_last_ends() {
    let shown = RwSignal::new(None::<Job<i32, i32>>);
    let _host = mount(move || {
        // The first run answers after 150 ms, the second after 10 ms.
        let job = Job::new(|n: &i32| {
            let n = *n;
            async move {
                sleep(if n == 1 { 150 } else { 10 }).await;
                n
            }
        });
        shown.set(Some(job));
    });
    tick().await;
    let job = shown.get_untracked().expect("mounted");
    job.dispatch(1);
    job.dispatch(2);
    assert_eq!(job.input().get_untracked(), Some(2), "the newest input");
    sleep(60).await;
    assert_eq!(job.value().get_untracked(), Some(2), "the second answered");
    assert!(job.pending().get_untracked(), "the first still runs");
    assert_eq!(job.input().get_untracked(), Some(2));
    sleep(200).await;
    assert!(!job.pending().get_untracked());
    assert_eq!(
        job.value().get_untracked(),
        Some(1),
        "every answer is kept as it arrives, as Leptos's Action does"
    );
    assert_eq!(job.input().get_untracked(), None);
}
