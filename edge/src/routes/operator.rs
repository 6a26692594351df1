//! `POST /api/companies/:company/kms/aws-kms` [`MoveToAwsKms`] (Partner
//! Admins only): move a company onto a customer AWS KMS key through the
//! crash-safe re-wrap.
//!
//! keyswitch encrypts and decrypts the company key with the encryption
//! context `{"keyswitch:company": "<company>"}`. The answer carries the
//! key-policy statement ([`AwsKeyPolicy`]) that limits keyswitch's use of the
//! key to this company, filled in:
//!
//! ```json
//! {"Sid": "KeyswitchCompanyKeyOnly", "Effect": "Allow",
//!  "Principal": {"AWS": "arn:aws:iam::<keyswitch-account-id>:user/<keyswitch-operator>"},
//!  "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
//!  "Condition": {"StringEquals": {"kms:EncryptionContext:keyswitch:company": "<company>"}}}
//! ```

use keyswitch_shared::api::{AwsKeyPolicy, MoveToAwsKms};
use keyswitch_shared::{CatalogError, Role};
use worker::Request;

use super::kms::caller;
use super::overview;
use super::{Answer, Ctx, body};
use crate::company::commands::Command;
use crate::do_client;
use crate::error::EdgeError;

/// An AWS KMS key id, ARN or alias: 1 to 2048 of letters, digits, `:/-_`.
fn aws_key_id(raw: &str) -> Result<String, EdgeError> {
    let key_id = raw.trim();
    let valid = (1..=2048).contains(&key_id.len())
        && key_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":/-_".contains(c));
    if valid {
        Ok(key_id.to_owned())
    } else {
        Err(EdgeError::field(
            "key_id",
            "must be an AWS KMS key id, ARN or alias",
        ))
    }
}

/// `POST …/kms/aws-kms` `{key_id}`: the state after the move and the
/// key-policy statement for this company.
pub async fn post_aws_kms(mut req: Request, ctx: Ctx) -> Answer {
    let (actor, company) = caller(&req, &ctx).await?;
    if actor.role != Role::PartnerAdmin {
        return Err(CatalogError::ForbiddenRole.into());
    }
    let move_to: MoveToAwsKms = body::json(&mut req).await?;
    let key_id = aws_key_id(&move_to.key_id)?;
    let view = do_client::relay(
        &ctx.env,
        &ctx.data,
        &company,
        &Command::MoveToAwsKms {
            actor,
            key_id: key_id.clone(),
        },
    )
    .await?;
    // `MoveToAwsAnswer`: the action's answer and the policy for this company.
    let aws_key_policy = AwsKeyPolicy::for_company(company.as_str(), &key_id);
    Ok(super::relayed(overview::answer(
        &ctx.env,
        &company,
        &view,
        Some(aws_key_policy),
    )?)?)
}
