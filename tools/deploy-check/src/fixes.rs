//! How an operator fixes each finding: the command or the line of
//! `edge/wrangler.toml` (README, "Deploying to Cloudflare", explains each
//! value).

use keyswitch_shared::config_guard;

/// Where a secret's value comes from, and how to give it.
fn secret_source(name: &str) -> &'static str {
    match name {
        "PLATFORM_KEY" => "32 random bytes in base64: openssl rand -base64 32 | ",
        "ENVELOPE_SERVICE_TOKEN" | "ENVELOPE_SERVICE_TOKEN_NEXT" | "WEBHOOK_SECRET" => {
            "at least 32 random characters: openssl rand -hex 32 | "
        }
        "CONNECTOR_CLIENT_SECRET" => {
            "the KMS Connector app registration's client secret (Azure public cloud): "
        }
        "CONNECTOR_CLIENT_SECRET_CHINA" => {
            "the KMS Connector's client secret in Azure China (or leave CONNECTOR_CLIENT_ID_CHINA empty): "
        }
        "CONNECTOR_CLIENT_SECRET_USGOV" => {
            "the KMS Connector's client secret in Azure US Government (or leave CONNECTOR_CLIENT_ID_USGOV empty): "
        }
        "GOOGLE_CLIENT_SECRET" => "the Google OAuth client's secret: ",
        "AWS_SECRET_ACCESS_KEY" => "the secret access key of keyswitch's IAM user: ",
        _ => "",
    }
}

/// The fix of a problem the worker's guard found.
#[must_use]
pub fn for_guard_problem(name: &str, env: &str) -> String {
    if config_guard::secret_names().contains(&name) {
        let leftover = matches!(
            name,
            "CONNECTOR_CLIENT_SECRET_CHINA" | "CONNECTOR_CLIENT_SECRET_USGOV"
        );
        let put = format!(
            "{}scripts/wrangler secret put {name} --env {env}",
            secret_source(name)
        );
        return if leftover {
            format!(
                "{put} (or, if that cloud has no connector, scripts/wrangler secret delete {name} --env {env})"
            )
        } else {
            put
        };
    }
    let value = match name {
        "REDAPP_API_URL" => "RedApp's inventory API base URL",
        "REDAPP_SESSION_JWKS_URL" => "RedApp's session-signing JWKS URL",
        "REDAPP_SIGN_IN_URL" => "RedApp's sign-in page",
        "CONSENT_REDIRECT_URI" => {
            "https://<this environment's route host>/oauth/consent/callback, as registered on the KMS Connector app"
        }
        "CONNECTOR_CLIENT_ID" | "CONNECTOR_CLIENT_ID_CHINA" | "CONNECTOR_CLIENT_ID_USGOV" => {
            "the app registration's Application (client) ID, a GUID"
        }
        "GOOGLE_CLIENT_ID" => "the Google OAuth client's id (…apps.googleusercontent.com)",
        "AWS_ACCESS_KEY_ID" => "the access key id of keyswitch's IAM user",
        "AWS_REGION" => "the AWS region of the KMS keys, e.g. us-east-1",
        "ALLOWED_ORIGINS" => "RedApp's https:// origins, comma-separated",
        "ENVELOPE_COMPANIES" | "ENVELOPE_COMPANIES_NEXT" => "* or comma-separated company ids",
        "KEYVAULT_PROXY" | "BENCH_ROUTES" => "empty (\"\")",
        "ENTRA_AUTHORITY" => "https://login.microsoftonline.com",
        "ENTRA_AUTHORITY_CHINA" => "https://login.chinacloudapi.cn",
        "ENTRA_AUTHORITY_USGOV" => "https://login.microsoftonline.us",
        _ if config_guard::OUTSIDE_ADDRESSES.contains(&name) => {
            "its https:// address (the top level's [vars] has the public service's)"
        }
        _ => "a value in the range named above (the top level's [vars] has the production default)",
    };
    format!("set {name} in [env.{env}.vars] of edge/wrangler.toml to {value}")
}

/// The fix of a KV namespace binding without a real namespace id.
#[must_use]
pub fn kv_namespace(binding: &str, env: &str) -> String {
    format!(
        "scripts/wrangler kv namespace create {binding} --env {env}, then put the id it prints in [[env.{env}.kv_namespaces]] binding = \"{binding}\" of edge/wrangler.toml"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_fixed_with_wrangler_secret_put_and_every_var_in_the_toml() {
        for name in config_guard::secret_names() {
            let fix = for_guard_problem(name, "production");
            assert!(
                fix.contains(&format!(
                    "scripts/wrangler secret put {name} --env production"
                )),
                "{fix}"
            );
            assert!(!secret_source(name).is_empty(), "{name}: no source");
        }
        for name in config_guard::OUTSIDE_ADDRESSES
            .iter()
            .chain(config_guard::REQUIRED_VARS.iter())
        {
            let fix = for_guard_problem(name, "staging");
            assert!(
                fix.starts_with(&format!("set {name} in [env.staging.vars]")),
                "{fix}"
            );
        }
    }
}
