//! `keyswitch-sim` binary: parse flags, start, print the ready line, wait for Ctrl-C.

use clap::Parser;
use keyswitch_sim::config::{Cli, Config};

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "keyswitch_sim=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = Config::from_cli(Cli::parse());
    let running = match keyswitch_sim::start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("keyswitch-sim: {e}");
            std::process::exit(1);
        }
    };
    if let Some(tls) = running.tls_addr {
        eprintln!("keyswitch-sim also serving https://{tls}");
    }
    println!("keyswitch-sim listening on {}", running.sim.public_url());
    let _ = tokio::signal::ctrl_c().await;
}
