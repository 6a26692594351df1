//! Component test, in headless Chromium: `Fetched` reads again whenever a
//! signal its read depends on changes or on `refetch()`, shows the newest
//! answer, and drops an answer that arrives after a newer read started.
#![cfg(target_arch = "wasm32")]

mod support;

use keyswitch_app::fetched::Fetched;
use leptos::prelude::*;
use support::{mount, sleep, tick};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn reads_again_when_what_it_reads_changes_and_on_refetch() {
    let input = RwSignal::new(1u32);
    let reads = StoredValue::new(0u32);
    let shown = RwSignal::new(None::<Fetched<u32>>);
    let host = mount(move || {
        let f = Fetched::new(move || {
            let v = input.get();
            reads.update_value(|n| *n += 1);
            async move { v * 10 }
        });
        shown.set(Some(f));
        view! { <p id="v">{move || f.get().map_or("loading".to_owned(), |v| v.to_string())}</p> }
    });
    tick().await;
    let f = shown.get_untracked().expect("mounted");
    assert_eq!(f.get(), Some(10));
    assert_eq!(support::text(&host, "#v"), "10");
    input.set(2);
    tick().await;
    assert_eq!(f.get(), Some(20));
    assert_eq!(support::text(&host, "#v"), "20");
    input.set(3);
    tick().await;
    assert_eq!(support::text(&host, "#v"), "30");
    f.refetch();
    tick().await;
    assert_eq!(
        reads.get_value(),
        4,
        "one read at start, two changes, one refetch"
    );
}

#[wasm_bindgen_test]
async fn an_older_answer_arriving_late_is_dropped() {
    let input = RwSignal::new(0i32);
    let shown = RwSignal::new(None::<Fetched<i32>>);
    let _host = mount(move || {
        // The first read answers after 200 ms, the second at once.
        let f = Fetched::new(move || {
            let v = input.get();
            async move {
                if v == 0 {
                    sleep(200).await;
                }
                v
            }
        });
        shown.set(Some(f));
    });
    tick().await;
    let f = shown.get_untracked().expect("mounted");
    assert_eq!(f.get(), None, "nothing has arrived yet");
    input.set(7);
    tick().await;
    assert_eq!(f.get(), Some(7));
    sleep(300).await;
    assert_eq!(
        f.get(),
        Some(7),
        "the late answer of the older read is dropped"
    );
}

#[wasm_bindgen_test]
async fn reads_again_when_a_memo_it_reads_changes() {
    let source = RwSignal::new(0u64);
    let shown = RwSignal::new(None::<Fetched<u64>>);
    let reads = StoredValue::new(0u32);
    let _host = mount(move || {
        let newest =
            Memo::new(move |prev: Option<&u64>| source.get().max(prev.copied().unwrap_or(0)));
        let latest = Memo::new(move |_| newest.get());
        let f = Fetched::new(move || {
            let _seq = latest.get();
            reads.update_value(|n| *n += 1);
            let v = source.get_untracked();
            async move { v }
        });
        shown.set(Some(f));
    });
    tick().await;
    let f = shown.get_untracked().expect("mounted");
    assert_eq!(f.get(), Some(0));
    source.set(5);
    tick().await;
    assert_eq!(f.get(), Some(5));
    source.set(6);
    tick().await;
    assert_eq!(f.get(), Some(6));
    assert_eq!(reads.get_value(), 3);
}
