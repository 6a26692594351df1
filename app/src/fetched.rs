//! An answer read from the edge and read again whenever what the read
//! depends on changes: the console's one way to load data for a screen.
//!
//! Issue 15: a plain signal filled by a spawned task, instead of Leptos's
//! async resources and `<Suspense>`/`<Transition>`, whose generic machinery
//! was a tenth of the SPA's download. The screen shows its "Loading…" text
//! while nothing has arrived, and keeps the last answer on screen while a
//! newer read is under way (what `<Transition>` did).

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// A started read: its answer, ready to be kept.
type Start = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Keep>>>>;
/// Puts an answer on screen.
type Keep = Box<dyn FnOnce()>;

/// The newest answer of a read (`None` until the first arrives).
pub struct Fetched<T: Send + Sync + 'static> {
    value: RwSignal<Option<T>>,
    again: Trigger,
}

impl<T: Send + Sync + 'static> Clone for Fetched<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Fetched<T> {}

impl<T: Send + Sync + 'static> Fetched<T> {
    /// Runs `read` now and again whenever a signal it reads changes (or on
    /// [`Self::refetch`]). An answer that arrives after a newer read started
    /// is dropped, so the newest read always wins. `read` runs in an effect:
    /// it must read a memo's value (`get`, `with`) to depend on it — a memo
    /// that is only `track()`ed is never computed, so it never changes.
    pub fn new<Fut>(read: impl Fn() -> Fut + 'static) -> Self
    where
        Fut: Future<Output = T> + 'static,
    {
        let value = RwSignal::new(None);
        let again = Trigger::new();
        // Only this part is generic: start a read, and keep its answer.
        let start: Start = Box::new(move || {
            let answer = read();
            Box::pin(async move {
                let answer = answer.await;
                let keep: Keep = Box::new(move || {
                    value.try_set(Some(answer));
                });
                keep
            })
        });
        watch(again, start);
        Self { value, again }
    }

    /// Reads again now.
    pub fn refetch(self) {
        self.again.notify();
    }

    /// The newest answer (tracked).
    #[must_use]
    pub fn get(self) -> Option<T>
    where
        T: Clone,
    {
        self.value.get()
    }

    /// Looks at the newest answer without cloning it (tracked).
    pub fn with<R>(self, f: impl FnOnce(&Option<T>) -> R) -> R {
        self.value.with(f)
    }
}

/// The part of [`Fetched::new`] that is the same for every answer type (one
/// copy in the download instead of one per screen): reads now and whenever
/// `start` or `again` says so, and keeps only the newest read's answer.
fn watch(again: Trigger, start: Start) {
    let newest = StoredValue::new(0u64);
    Effect::new(move |_| {
        again.track();
        let answer = start();
        let this = newest.get_value().wrapping_add(1);
        newest.set_value(this);
        spawn_local(async move {
            let keep = answer.await;
            // The screen may be gone, or a newer read under way.
            if newest.try_get_value() == Some(this) {
                keep();
            }
        });
    });
}
