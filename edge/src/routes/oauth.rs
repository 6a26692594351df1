//! `GET /oauth/consent/callback`: the one redirect URI of the connector, for
//! Microsoft's admin consent and for tenant verifications (Microsoft and
//! Google). Answers the landing page. The state's MAC is checked here,
//! before any Durable Object is touched (a made-up state writes nothing);
//! the company's object then checks and consumes the state itself.

use keyswitch_shared::oauth_state::Flow;
use keyswitch_shared::{CatalogError, CompanyId};
use worker::Request;

use super::{Answer, Ctx};
use crate::company::commands::{CallbackOutcome, Command, VerifyOutcome};
use crate::do_client;
use crate::landing::{self, Landing, VerificationLanding};

/// A tenant verification came back (Microsoft or Google, same redirect URI).
async fn verification(
    ctx: &Ctx,
    company: CompanyId,
    nonce: String,
    param: &dyn Fn(&str) -> Option<String>,
) -> Answer {
    let outcome: VerifyOutcome = do_client::call(
        &ctx.env,
        &ctx.data,
        &company,
        &Command::VerifyCallback {
            nonce,
            code: param("code"),
            error: param("error"),
            error_description: param("error_description"),
        },
    )
    .await?;
    let genuine = outcome.tenant.is_some();
    let tenant = outcome.tenant.as_ref().map(|t| match t {
        keyswitch_shared::switch::TenantRef::Microsoft365 { tenant_id } => {
            format!("Microsoft 365 tenant {}", tenant_id.as_str())
        }
        keyswitch_shared::switch::TenantRef::GoogleWorkspace { customer_id } => {
            format!("Google Workspace customer {}", customer_id.as_str())
        }
    });
    landing::render_verification(
        &ctx.env,
        &VerificationLanding {
            company: genuine.then_some(company.as_str()),
            tenant,
            error: outcome.error,
            finalizing: outcome.finalizing,
            export_open: outcome.export_open,
        },
    )
}

/// Handles the callback.
pub async fn consent_callback(req: Request, ctx: Ctx) -> Answer {
    let url = req.url()?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.chars().take(2048).collect::<String>())
    };
    let state = match param("state") {
        Some(s) => crate::oauth_state::verify(&ctx.env, &s)?.ok(),
        None => None,
    };
    let Some(state) = state else {
        // Not issued by keyswitch (shape or MAC): forged or altered.
        let e = CatalogError::OAuthStateInvalid;
        return landing::render(
            &ctx.env,
            &Landing {
                company: None,
                vault_name: None,
                error: Some((e.status(), e.body())),
            },
        );
    };
    let (company, nonce) = (state.company().clone(), state.nonce().to_owned());
    if state.flow() == Flow::TenantVerification {
        return verification(&ctx, company, nonce, &param).await;
    }
    let outcome: CallbackOutcome = do_client::call(
        &ctx.env,
        &ctx.data,
        &company,
        &Command::ConsentCallback {
            nonce,
            code: param("code"),
            error: param("error"),
            error_description: param("error_description"),
        },
    )
    .await?;
    let error = outcome.error;
    // The company is named only when the state was one of its live states.
    let genuine = error
        .as_ref()
        .is_none_or(|(_, b)| !b.code.starts_with("oauth_state_"));
    landing::render(
        &ctx.env,
        &Landing {
            company: genuine.then_some(company.as_str()),
            vault_name: outcome.vault_name.as_deref(),
            error,
        },
    )
}
