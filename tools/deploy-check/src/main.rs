//! `keyswitch-deploy-check --config <wrangler.toml> --env <env> --secrets <file>`:
//! the checks `scripts/deploy` runs before `wrangler deploy`. `<file>` is
//! what `wrangler secret list --format json --env <env>` printed (`-`:
//! standard input; an empty file: the worker does not exist yet, so it has
//! no secrets). Prints every finding with its fix and exits 1 when there is
//! one; 0 when the environment may be deployed; 2 on bad arguments or
//! unreadable input.

mod environment;
mod fixes;
mod rules;

use std::collections::BTreeSet;
use std::io::Read;
use std::process::ExitCode;

use environment::Environment;

struct Args {
    config: String,
    env: String,
    secrets: String,
}

fn parse_args() -> Result<Args, String> {
    let mut config = None;
    let mut env = None;
    let mut secrets = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--config" => &mut config,
            "--env" => &mut env,
            "--secrets" => &mut secrets,
            other => return Err(format!("unknown argument {other}")),
        };
        *slot = Some(args.next().ok_or_else(|| format!("{arg} needs a value"))?);
    }
    match (config, env, secrets) {
        (Some(config), Some(env), Some(secrets)) => Ok(Args {
            config,
            env,
            secrets,
        }),
        _ => Err("usage: keyswitch-deploy-check --config <wrangler.toml> --env <env> --secrets <secret-list.json|->".into()),
    }
}

/// The names in `wrangler secret list --format json` output: a JSON array
/// of `{"name": …, "type": "secret_text"}`. Empty text: no secrets.
fn secret_names(text: &str) -> Result<BTreeSet<String>, String> {
    if text.trim().is_empty() {
        return Ok(BTreeSet::new());
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("the secret list is not JSON: {e}"))?;
    let list = value
        .as_array()
        .ok_or("the secret list is not a JSON array")?;
    list.iter()
        .map(|s| {
            s.get("name")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| "a secret in the list has no name".to_owned())
        })
        .collect()
}

fn read(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("standard input: {e}"))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

fn run() -> Result<bool, String> {
    let args = parse_args()?;
    let env = Environment::parse(&read(&args.config)?, &args.env).map_err(|e| e.to_string())?;
    let secrets = secret_names(&read(&args.secrets)?)?;
    let findings = rules::check(&env, &secrets);
    let worker = env.worker_name().unwrap_or("(no name)");
    if findings.is_empty() {
        println!(
            "deploy check: {} (worker {worker}): configuration and the {} listed secrets pass the worker's guard",
            env.name,
            secrets.len()
        );
        if let Some(route) = env.routes().first() {
            println!("check it: https://{}/api/health", route.host);
        }
        return Ok(true);
    }
    println!(
        "deploy check: {} (worker {worker}): {} problem{} to fix before deploying:",
        env.name,
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    );
    for f in &findings {
        println!("  - {} {}\n    fix: {}", f.name, f.why, f.fix);
    }
    Ok(false)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("keyswitch-deploy-check: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_names_of_wrangler_secret_list() {
        let text = r#"[
  { "name": "PLATFORM_KEY", "type": "secret_text" },
  { "name": "GOOGLE_CLIENT_SECRET", "type": "secret_text" }
]"#;
        let names = secret_names(text).expect("names");
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            vec!["GOOGLE_CLIENT_SECRET", "PLATFORM_KEY"]
        );
        assert!(secret_names("").expect("empty").is_empty());
        assert!(secret_names("{\"name\":1}").is_err());
        assert!(secret_names("[{\"type\":\"secret_text\"}]").is_err());
        assert!(secret_names("✘ [ERROR] Authentication error").is_err());
    }
}
