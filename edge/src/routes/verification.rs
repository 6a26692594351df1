//! `/api/companies/:company/kms/…` for tenant verification, Refresh, the
//! finalization's progress, the one-time export (and the re-verification
//! that allows another), and the operator move onto AWS KMS.

use keyswitch_shared::CatalogError;
use keyswitch_shared::api::{
    CompanyKeyExport, ExportVerification, FinalizeProgress, VerifyTenantAnswer,
};
use keyswitch_shared::switch::TenantRef;

use worker::{Request, Response, Result, RouteContext};

use super::kms::{answer, caller, json_object, string_field};
use crate::company::commands::{Command, View};
use crate::do_client;
use crate::error::{EdgeError, respond};

/// `POST …/kms/tenants/verify` `{tenant}`: the sign-in URL for one tenant.
pub async fn post_verify(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, company) = caller(&req, &ctx).await?;
            let body = json_object(&mut req).await?;
            if let Some(unknown) = body.keys().find(|k| *k != "tenant") {
                let name: String = unknown.chars().take(40).collect();
                return Err(EdgeError::field(&name, "is not a known field"));
            }
            let raw = body
                .get("tenant")
                .cloned()
                .ok_or_else(|| EdgeError::field("tenant", "is required"))?;
            let tenant: TenantRef = serde_json::from_value(raw).map_err(|_| {
                EdgeError::field(
                    "tenant",
                    "must be {\"kind\":\"microsoft365\",\"tenant_id\":…} or {\"kind\":\"google_workspace\",\"customer_id\":…}",
                )
            })?;
            let answer: VerifyTenantAnswer =
                do_client::call(&ctx.env, &company, &Command::BeginVerify { actor: actor.into(), tenant }).await?;
            Ok(Response::from_json(&answer)?)
        }
        .await,
    )
}

/// `POST …/kms/refresh`: read the inventory again.
pub async fn post_refresh(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, company) = caller(&req, &ctx).await?;
            let view: View = do_client::call(
                &ctx.env,
                &company,
                &Command::Refresh {
                    actor: actor.into(),
                },
            )
            .await?;
            answer(&ctx.env, &company, view).await
        }
        .await,
    )
}

async fn finalize(req: Request, ctx: RouteContext<()>, run: bool) -> Result<Response> {
    respond(
        async {
            let (_, company) = caller(&req, &ctx).await?;
            let progress: FinalizeProgress =
                do_client::call(&ctx.env, &company, &Command::Finalize { run }).await?;
            Ok(Response::from_json(&progress)?)
        }
        .await,
    )
}

/// `GET …/kms/finalize`: progress of the finalization (for polling).
pub async fn get_finalize(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    finalize(req, ctx, false).await
}

/// `POST …/kms/finalize`: run a due finalization attempt now (idempotent).
pub async fn post_finalize(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    finalize(req, ctx, true).await
}

/// `POST …/kms/export`: the company key, once, as a file.
pub async fn post_export(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, company) = caller(&req, &ctx).await?;
            let file: CompanyKeyExport = do_client::call(
                &ctx.env,
                &company,
                &Command::Export {
                    actor: actor.into(),
                },
            )
            .await?;
            let resp = Response::from_json(&file)?;
            let h = resp.headers();
            h.set(
                "Content-Disposition",
                &format!(
                    "attachment; filename=\"company-key-{}.json\"",
                    company.as_str()
                ),
            )?;
            h.set("Cache-Control", "no-store")?;
            Ok(resp)
        }
        .await,
    )
}

/// `GET …/kms/export/verification`.
pub async fn get_export_verification(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (_, company) = caller(&req, &ctx).await?;
            let view: ExportVerification =
                do_client::call(&ctx.env, &company, &Command::ExportVerificationView).await?;
            Ok(Response::from_json(&view)?)
        }
        .await,
    )
}

/// `POST …/kms/export/verification`: start verifying every tenant again.
pub async fn post_export_verification(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, company) = caller(&req, &ctx).await?;
            let view: ExportVerification = do_client::call(
                &ctx.env,
                &company,
                &Command::BeginExportVerification {
                    actor: actor.into(),
                },
            )
            .await?;
            Ok(Response::from_json(&view)?)
        }
        .await,
    )
}

/// `POST …/kms/aws-kms` `{key_id}` (Partner Admins only): move the company
/// onto a customer AWS KMS key through the crash-safe re-wrap.
pub async fn post_aws_kms(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            let (actor, company) = caller(&req, &ctx).await?;
            if actor.role != "partner_admin" {
                return Err(CatalogError::ForbiddenRole.into());
            }
            let body = json_object(&mut req).await?;
            if let Some(unknown) = body.keys().find(|k| *k != "key_id") {
                let name: String = unknown.chars().take(40).collect();
                return Err(EdgeError::field(&name, "is not a known field"));
            }
            let key_id = string_field(&body, "key_id")?.trim().to_owned();
            let valid = (1..=2048).contains(&key_id.len())
                && key_id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ":/-_".contains(c));
            if !valid {
                return Err(EdgeError::field(
                    "key_id",
                    "must be an AWS KMS key id, ARN or alias",
                ));
            }
            let view: View = do_client::call(
                &ctx.env,
                &company,
                &Command::MoveToAwsKms {
                    actor: actor.into(),
                    key_id,
                },
            )
            .await?;
            answer(&ctx.env, &company, view).await
        }
        .await,
    )
}
