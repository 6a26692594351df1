//! Outbound HTTP: the one way the edge calls another service (Entra ID, Key
//! Vault, AWS KMS, Google, RedApp's inventory and JWKS). Every call has a
//! timeout (`timer::sleep`, as `worker::Delay` throws under this workerd),
//! reads the whole answer inside it, and never follows a redirect while it
//! carries a token or a secret: a 3xx comes back as the answer.

use futures_util::future::{Either, select};
use worker::{Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

/// How long one outside call may take, answer included.
pub const TIMEOUT_MS: u64 = 15_000;

/// Why an outside call gave no answer. The host is named; the URL is not
/// (its query could carry something private).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The request could not be built (a header or URL the runtime refused).
    #[error("the request to {host} could not be built")]
    Build {
        /// Which service.
        host: String,
        /// What the runtime said.
        #[source]
        source: worker::Error,
    },
    /// The service could not be reached, or its answer could not be read.
    #[error("{host} could not be reached")]
    Network {
        /// Which service.
        host: String,
        /// What the runtime said.
        #[source]
        source: worker::Error,
    },
    /// No whole answer within the timeout.
    #[error("{host} did not answer within {timeout_ms} ms")]
    Timeout {
        /// Which service.
        host: String,
        /// The timeout.
        timeout_ms: u64,
    },
}

/// An answer, read whole.
pub struct Answer {
    /// HTTP status (a redirect is an answer too: 3xx).
    pub status: u16,
    /// Its headers.
    pub headers: Headers,
    /// Its body (may be empty).
    pub body: Vec<u8>,
}

impl Answer {
    /// A header's value, if present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).ok().flatten()
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// One outside call, built step by step and sent with [`Call::send`].
pub struct Call {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    timeout_ms: u64,
    carries_secret: bool,
    follow_redirects: bool,
}

impl Call {
    /// A call with `method` to `url`.
    pub fn new(method: Method, url: &str) -> Self {
        Self {
            method,
            url: url.to_owned(),
            headers: Vec::new(),
            body: None,
            timeout_ms: TIMEOUT_MS,
            carries_secret: false,
            follow_redirects: false,
        }
    }

    /// A `GET` to `url`.
    pub fn get(url: &str) -> Self {
        Self::new(Method::Get, url)
    }

    /// A `POST` to `url`.
    pub fn post(url: &str) -> Self {
        Self::new(Method::Post, url)
    }

    /// Adds a header that holds nothing secret.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a header that holds a credential (`Authorization`): the call
    /// will not follow redirects.
    #[must_use]
    pub fn secret_header(mut self, name: &str, value: &str) -> Self {
        self.carries_secret = true;
        self.header(name, value)
    }

    /// `Authorization: Bearer {token}`.
    #[must_use]
    pub fn bearer(self, token: &str) -> Self {
        self.secret_header("Authorization", &format!("Bearer {token}"))
    }

    /// A body with its content type, holding nothing secret.
    #[must_use]
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self.header("Content-Type", content_type)
    }

    /// A body that holds a secret (a client secret, an authorization code):
    /// the call will not follow redirects.
    #[must_use]
    pub fn secret_body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.carries_secret = true;
        self.body(content_type, body)
    }

    /// Follows redirects, unless the call carries a secret (then a 3xx is
    /// still the answer).
    #[must_use]
    pub fn follow_redirects(mut self) -> Self {
        self.follow_redirects = true;
        self
    }

    fn host(&self) -> String {
        url::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "an outside service".to_owned())
    }

    fn request(&self, host: &str) -> Result<Request, HttpError> {
        let build = |source| HttpError::Build {
            host: host.to_owned(),
            source,
        };
        let headers = Headers::new();
        for (name, value) in &self.headers {
            headers.set(name, value).map_err(build)?;
        }
        let mut init = RequestInit::new();
        init.with_method(self.method.clone())
            .with_headers(headers)
            .with_redirect(if self.follow_redirects && !self.carries_secret {
                RequestRedirect::Follow
            } else {
                RequestRedirect::Manual
            });
        if let Some(body) = &self.body {
            init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
        }
        Request::new_with_init(&self.url, &init).map_err(build)
    }

    /// Sends the call and reads the whole answer within the timeout.
    pub async fn send(self) -> Result<Answer, HttpError> {
        let host = self.host();
        let req = self.request(&host)?;
        let call = Box::pin(async move {
            let mut resp = Fetch::Request(req).send().await?;
            let status = resp.status_code();
            let headers = resp.headers().clone();
            let body = resp.bytes().await?;
            Ok::<_, worker::Error>(Answer {
                status,
                headers,
                body,
            })
        });
        let timeout = Box::pin(crate::timer::sleep(self.timeout_ms));
        match select(call, timeout).await {
            Either::Left((Ok(answer), _)) => Ok(answer),
            Either::Left((Err(source), _)) => Err(HttpError::Network { host, source }),
            Either::Right(_) => Err(HttpError::Timeout {
                host,
                timeout_ms: self.timeout_ms,
            }),
        }
    }
}
