//! Where a hot route's time goes: phases (session verification, Durable
//! Object round trip, inventory fetch, serialization) timed by the isolate's
//! clock and sent as a `Server-Timing` header, which `scripts/bench` reads.
//! Only a build with the cargo feature `bench` times anything: in the
//! deployed worker [`Profile`] is empty and adds no header (a timing
//! side channel has no place there, and workerd's clock stands still
//! between I/O in production anyway).

use worker::Response;

/// The phases of one request so far.
pub struct Profile {
    #[cfg(feature = "bench")]
    last_ms: f64,
    #[cfg(feature = "bench")]
    phases: Vec<(&'static str, f64)>,
}

impl Profile {
    /// Starts timing a request.
    #[must_use]
    pub fn start() -> Self {
        Self {
            #[cfg(feature = "bench")]
            last_ms: js_sys::Date::now(),
            #[cfg(feature = "bench")]
            phases: Vec::new(),
        }
    }

    /// Ends the phase `name` now (the next one starts).
    #[cfg_attr(not(feature = "bench"), allow(clippy::unused_self))]
    pub fn mark(&mut self, name: &'static str) {
        #[cfg(feature = "bench")]
        {
            let now = js_sys::Date::now();
            self.phases.push((name, now - self.last_ms));
            self.last_ms = now;
        }
        #[cfg(not(feature = "bench"))]
        let _ = name;
    }

    /// The answer, with the phases as `Server-Timing` (bench builds only).
    #[cfg_attr(not(feature = "bench"), allow(clippy::unused_self))]
    pub fn finish(self, resp: Response) -> Response {
        #[cfg(feature = "bench")]
        {
            let timing = self
                .phases
                .iter()
                .map(|(name, ms)| format!("{name};dur={ms}"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = resp.headers().set("Server-Timing", &timing);
        }
        resp
    }
}
