//! Command line and environment configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Which world to start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Seed {
    /// Contoso, Fabrikam, vaults, Google customer, company `acme` (see the index page).
    Default,
    /// Only the connector app and the Google client; nothing else.
    Empty,
}

/// Default client id of the product's KMS Connector app.
pub const DEFAULT_CONNECTOR_CLIENT_ID: &str = "5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21";
/// Default client id of the connector's registration in Azure China
/// (21Vianet): each sovereign cloud has its own app registrations.
pub const DEFAULT_CONNECTOR_CLIENT_ID_CHINA: &str = "3c7d9e21-5b4a-4f6e-8a1c-2b9d0e6f7a31";
/// Default client id of the connector's registration in Azure US Government.
pub const DEFAULT_CONNECTOR_CLIENT_ID_USGOV: &str = "8e2f1a6c-7d3b-4c5e-9f0a-1b2c3d4e5f61";
/// Default Google OAuth client id of the product.
pub const DEFAULT_GOOGLE_CLIENT_ID: &str = "keyswitch-dev.apps.googleusercontent.com";

/// keyswitch-sim: Entra ID, Azure Key Vault, Google and RedApp inventory, simulated.
#[derive(Debug, Clone, Parser)]
#[command(name = "keyswitch-sim", version)]
pub struct Cli {
    /// Plain HTTP listen address.
    #[arg(long, default_value = "127.0.0.1:8790")]
    pub addr: SocketAddr,
    /// Optional HTTPS listen address (needs --tls-cert and --tls-key).
    #[arg(long, requires_all = ["tls_cert", "tls_key"])]
    pub tls_addr: Option<SocketAddr>,
    /// PEM certificate chain for HTTPS.
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS.
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// World to start with.
    #[arg(long, value_enum, default_value = "default")]
    pub seed: Seed,
    /// Base URL the plain listener is reached at (issuers, links). Default: http://<addr>.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Redirect URI registered for the connector app and the Google client (repeatable).
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// Client id of the product's KMS Connector app.
    #[arg(long, env = "SIM_CONNECTOR_CLIENT_ID", default_value = DEFAULT_CONNECTOR_CLIENT_ID)]
    pub connector_client_id: String,
    /// Client id of the connector's Azure China registration.
    #[arg(long, env = "SIM_CONNECTOR_CLIENT_ID_CHINA", default_value = DEFAULT_CONNECTOR_CLIENT_ID_CHINA)]
    pub connector_client_id_china: String,
    /// Client id of the connector's Azure US Government registration.
    #[arg(long, env = "SIM_CONNECTOR_CLIENT_ID_USGOV", default_value = DEFAULT_CONNECTOR_CLIENT_ID_USGOV)]
    pub connector_client_id_usgov: String,
    /// Client id of the product's Google OAuth client.
    #[arg(long, env = "SIM_GOOGLE_CLIENT_ID", default_value = DEFAULT_GOOGLE_CLIENT_ID)]
    pub google_client_id: String,
    /// Folder for cached key material (quick restarts, stable keys).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// moto server to reverse-proxy at `/aws/kms` (so faults and the request
    /// log apply to AWS KMS calls), e.g. `http://127.0.0.1:18792`.
    #[arg(long)]
    pub moto_url: Option<String>,
}

/// Resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Plain listen address.
    pub addr: SocketAddr,
    /// HTTPS listen address.
    pub tls_addr: Option<SocketAddr>,
    /// Certificate file.
    pub tls_cert: Option<PathBuf>,
    /// Key file.
    pub tls_key: Option<PathBuf>,
    /// Seed.
    pub seed: Seed,
    /// Public base URL of the plain listener, without trailing slash.
    pub public_url: Option<String>,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Connector client id.
    pub connector_client_id: String,
    /// Connector client secret (env `SIM_CONNECTOR_SECRET`).
    pub connector_secret: String,
    /// The China registration's client id.
    pub connector_client_id_china: String,
    /// Its secret (env `SIM_CONNECTOR_SECRET_CHINA`).
    pub connector_secret_china: String,
    /// The US Government registration's client id.
    pub connector_client_id_usgov: String,
    /// Its secret (env `SIM_CONNECTOR_SECRET_USGOV`).
    pub connector_secret_usgov: String,
    /// Google client id.
    pub google_client_id: String,
    /// Google client secret (env `SIM_GOOGLE_CLIENT_SECRET`).
    pub google_secret: String,
    /// Key cache folder.
    pub state_dir: Option<PathBuf>,
    /// moto server behind `/aws/kms`, without trailing slash.
    pub moto_url: Option<String>,
}

impl Config {
    /// Reads flags and environment.
    pub fn from_cli(cli: Cli) -> Self {
        Self {
            addr: cli.addr,
            tls_addr: cli.tls_addr,
            tls_cert: cli.tls_cert,
            tls_key: cli.tls_key,
            seed: cli.seed,
            public_url: cli.public_url.map(|u| u.trim_end_matches('/').to_owned()),
            redirect_uris: cli.redirect_uris,
            connector_client_id: cli.connector_client_id,
            connector_secret: std::env::var("SIM_CONNECTOR_SECRET")
                .unwrap_or_else(|_| "dev-connector-secret".to_owned()),
            connector_client_id_china: cli.connector_client_id_china,
            connector_secret_china: std::env::var("SIM_CONNECTOR_SECRET_CHINA")
                .unwrap_or_else(|_| "dev-connector-secret-china".to_owned()),
            connector_client_id_usgov: cli.connector_client_id_usgov,
            connector_secret_usgov: std::env::var("SIM_CONNECTOR_SECRET_USGOV")
                .unwrap_or_else(|_| "dev-connector-secret-usgov".to_owned()),
            google_client_id: cli.google_client_id,
            google_secret: std::env::var("SIM_GOOGLE_CLIENT_SECRET")
                .unwrap_or_else(|_| "dev-google-secret".to_owned()),
            state_dir: cli.state_dir,
            moto_url: cli.moto_url.map(|u| u.trim_end_matches('/').to_owned()),
        }
    }

    /// A configuration for in-process tests: port 0, default seed, fixed secrets.
    pub fn for_tests() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls_addr: None,
            tls_cert: None,
            tls_key: None,
            seed: Seed::Default,
            public_url: None,
            redirect_uris: vec!["http://127.0.0.1:8787/callback".to_owned()],
            connector_client_id: DEFAULT_CONNECTOR_CLIENT_ID.to_owned(),
            connector_secret: "dev-connector-secret".to_owned(),
            connector_client_id_china: DEFAULT_CONNECTOR_CLIENT_ID_CHINA.to_owned(),
            connector_secret_china: "dev-connector-secret-china".to_owned(),
            connector_client_id_usgov: DEFAULT_CONNECTOR_CLIENT_ID_USGOV.to_owned(),
            connector_secret_usgov: "dev-connector-secret-usgov".to_owned(),
            google_client_id: DEFAULT_GOOGLE_CLIENT_ID.to_owned(),
            google_secret: "dev-google-secret".to_owned(),
            state_dir: None,
            moto_url: None,
        }
    }
}
