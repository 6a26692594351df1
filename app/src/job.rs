//! A step the admin starts (a button, a form): it runs in the background,
//! says whether it is under way, and keeps its last answer.
//!
//! Issue 15: the console's stand-in for Leptos's `Action::new_local`, with
//! the same behaviour the screens use (`dispatch`, `pending`, `value`,
//! `input`) and a fraction of its code: an action wraps every step's future
//! in a `SendWrapper` and an abortable `select!`, generated again for each
//! step's types (40 KB of the download in 10 copies). Here a step's future
//! is boxed once and the bookkeeping around it is small.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;

type Start<I, O> = Box<dyn Fn(&I) -> Pin<Box<dyn Future<Output = O>>>>;

/// A step that can be started any number of times; every run's answer is
/// kept as it arrives (the last to arrive is [`Self::value`]).
pub struct Job<I: Send + Sync + 'static, O: Send + Sync + 'static> {
    start: StoredValue<Start<I, O>, LocalStorage>,
    input: RwSignal<Option<I>>,
    value: RwSignal<Option<O>>,
    in_flight: RwSignal<u32>,
    pending: Memo<bool>,
}

impl<I: Send + Sync + 'static, O: Send + Sync + 'static> Clone for Job<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: Send + Sync + 'static, O: Send + Sync + 'static> Copy for Job<I, O> {}

impl<I: Send + Sync + 'static, O: Send + Sync + 'static> Job<I, O> {
    /// A step that runs `step` with the input of each [`Self::dispatch`].
    pub fn new<Fut>(step: impl Fn(&I) -> Fut + 'static) -> Self
    where
        Fut: Future<Output = O> + 'static,
    {
        let start: Start<I, O> = Box::new(move |input| Box::pin(step(input)));
        let in_flight = RwSignal::new(0u32);
        Self {
            start: StoredValue::new_local(start),
            input: RwSignal::new(None),
            value: RwSignal::new(None),
            in_flight,
            pending: Memo::new(move |_| in_flight.get() > 0),
        }
    }

    /// Starts the step with `input`. While any run is under way,
    /// [`Self::pending`] is true and [`Self::input`] holds the newest input.
    pub fn dispatch(self, input: I) {
        let Some(answer) = self.start.try_with_value(|start| start(&input)) else {
            return; // the screen is gone
        };
        let Self {
            input: current,
            value,
            in_flight,
            ..
        } = self;
        in_flight.try_update(|n| *n += 1);
        current.try_set(Some(input));
        spawn_local(async move {
            let answer = answer.await;
            in_flight.try_update(|n| *n = n.saturating_sub(1));
            value.try_set(Some(answer));
            if in_flight.try_get_untracked() == Some(0) {
                current.try_set(None);
            }
        });
    }

    /// A run is under way (tracked).
    #[must_use]
    pub fn pending(self) -> Memo<bool> {
        self.pending
    }

    /// The last answer to arrive (`None` before the first, or once cleared).
    #[must_use]
    pub fn value(self) -> RwSignal<Option<O>> {
        self.value
    }

    /// The input of the newest run while any is under way, else `None`.
    #[must_use]
    pub fn input(self) -> RwSignal<Option<I>> {
        self.input
    }
}
