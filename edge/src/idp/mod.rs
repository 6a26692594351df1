//! Tenant verification (PRODUCT.md §2.6): an OAuth code flow with PKCE and a
//! nonce (the `oauth2` crate), ending in an ID token verified against the
//! issuer's JWKS, then the provider's own proof of the admin's role:
//! `wids` for Microsoft 365 (`entra.rs`), the Directory API for Google
//! Workspace (`google.rs`).

pub mod entra;
pub mod google;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, ExtraTokenFields, HttpRequest, HttpResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use worker::Method;

use crate::crypto::CryptoError;
use crate::error::{EdgeError, chain};
use crate::http::{Call, HttpError};

/// The `id_token` next to the access token.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct IdTokenFields {
    /// The ID token (JWT).
    #[serde(default)]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenFields {}

/// Token answer with an ID token.
pub type IdTokenResponse = StandardTokenResponse<IdTokenFields, BasicTokenType>;

/// An OAuth client with authorization and token endpoints set.
pub type CodeClient = Client<
    BasicErrorResponse,
    IdTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Builds a code-flow client; the client secret goes in the request body.
pub fn client(
    client_id: &str,
    client_secret: String,
    auth_url: &str,
    token_url: &str,
    redirect_uri: &str,
) -> Result<CodeClient, EdgeError> {
    let bad = |name: &'static str| move |_| EdgeError::Config(name);
    Ok(Client::new(ClientId::new(client_id.to_owned()))
        .set_client_secret(ClientSecret::new(client_secret))
        .set_auth_type(AuthType::RequestBody)
        .set_auth_uri(AuthUrl::new(auth_url.to_owned()).map_err(bad("authorization URL"))?)
        .set_token_uri(oauth2::TokenUrl::new(token_url.to_owned()).map_err(bad("token URL"))?)
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_owned()).map_err(bad("CONSENT_REDIRECT_URI"))?,
        ))
}

/// What a started verification must remember until its callback (kept in
/// the company's Durable Object only).
pub struct Started {
    /// The sign-in URL.
    pub url: String,
    /// The PKCE verifier (secret).
    pub pkce_verifier: String,
    /// The OpenID Connect nonce.
    pub nonce: String,
}

/// The authorization URL with `state`, PKCE S256, a fresh nonce, `scopes`
/// and extra parameters.
pub fn authorize(
    client: &CodeClient,
    state: String,
    scopes: &[&str],
    extra: &[(&str, &str)],
) -> Result<Started, EdgeError> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = random_nonce()?;
    let mut req = client
        .authorize_url(move || CsrfToken::new(state))
        .set_pkce_challenge(challenge)
        .add_extra_param("nonce", nonce.clone());
    for s in scopes {
        req = req.add_scope(Scope::new((*s).to_owned()));
    }
    for (k, v) in extra {
        req = req.add_extra_param(*k, *v);
    }
    let (url, _) = req.url();
    Ok(Started {
        url: url.into(),
        pkce_verifier: verifier.secret().clone(),
        nonce,
    })
}

fn random_nonce() -> Result<String, EdgeError> {
    use base64::Engine;
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(CryptoError::from)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The tokens a code exchange gave.
pub struct Tokens {
    /// The access token (secret).
    pub access_token: String,
    /// The ID token, when the provider sent one.
    pub id_token: Option<String>,
}

/// Why an exchange failed: the provider refused (its OAuth `error`), or it
/// could not be reached.
pub enum ExchangeError {
    /// The provider answered an OAuth error.
    Refused(String),
    /// The provider did not answer usefully (the cause is logged).
    Unavailable,
}

/// Redeems `code` with the PKCE verifier.
pub async fn exchange(
    client: &CodeClient,
    code: String,
    pkce_verifier: String,
) -> Result<Tokens, ExchangeError> {
    let answer = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
        .request_async(&http_call)
        .await;
    match answer {
        Ok(t) => Ok(Tokens {
            access_token: t.access_token().secret().clone(),
            id_token: t.extra_fields().id_token.clone(),
        }),
        Err(RequestTokenError::ServerResponse(e)) => {
            Err(ExchangeError::Refused(e.error().to_string()))
        }
        Err(e) => {
            worker::console_warn!("code exchange failed: {}", chain(&e));
            Err(ExchangeError::Unavailable)
        }
    }
}

/// Why the `oauth2` crate's HTTP call failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request `oauth2` built could not be sent as it is.
    #[error("the token request could not be sent: {0}")]
    Request(&'static str),
    /// No answer.
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// The HTTP client the `oauth2` crate calls: [`Call`], with the request body
/// (authorization code, PKCE verifier, client secret) as a secret.
async fn http_call(request: HttpRequest) -> Result<HttpResponse, FetchError> {
    let method = if request.method() == oauth2::http::Method::GET {
        Method::Get
    } else {
        Method::Post
    };
    let mut call = Call::new(method, &request.uri().to_string());
    let mut content_type = None;
    for (name, value) in request.headers() {
        let value = value
            .to_str()
            .map_err(|_| FetchError::Request("a header is not text"))?;
        if name == oauth2::http::header::CONTENT_TYPE {
            content_type = Some(value.to_owned());
        } else if name == oauth2::http::header::AUTHORIZATION {
            call = call.secret_header(name.as_str(), value);
        } else {
            call = call.header(name.as_str(), value);
        }
    }
    if !request.body().is_empty() {
        let content_type = content_type
            .as_deref()
            .unwrap_or("application/x-www-form-urlencoded");
        call = call.secret_body(content_type, request.body().clone());
    }
    let answer = call.send().await?;
    let mut builder = oauth2::http::Response::builder().status(answer.status);
    if let Some(ct) = answer.header("Content-Type") {
        // The constant, not the text "content-type": parsing a header name
        // from text links `http`'s `HeaderName::from_bytes` (17 KB of code).
        builder = builder.header(oauth2::http::header::CONTENT_TYPE, ct);
    }
    builder
        .body(answer.body)
        .map_err(|_| FetchError::Request("the answer could not be handed over"))
}
