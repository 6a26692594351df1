//! The Manage KMS overview (`KmsOverview`, `KmsAnswer`, `MoveToAwsAnswer`)
//! written from the company object's view as JSON text: the parts the
//! worker does not change (provider, stage, pending setup, key, health,
//! key history, re-wrap, export offer) are copied as the object wrote them
//! (`RawValue`), and only the company id, the backup-set count and the
//! connector clouds are added. The bytes are those the typed path wrote
//! (decode `View`, build `KmsOverview`, encode it): the fields in the same
//! order, each part encoded by the same type in the object. The worker so
//! holds no decoder for `View` and its parts (issue 15: the worker's
//! upload); the object ↔ worker wire is unchanged.

use keyswitch_shared::api::{AwsKeyPolicy, ExportOffer};
use keyswitch_shared::{Cloud, CompanyId};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use worker::Env;

use crate::error::EdgeError;

/// The object's `View` (`company::commands::View`) with its parts as text.
/// A part missing from an older object's answer takes `View`'s default.
#[derive(Deserialize)]
pub struct ViewText<'a> {
    #[serde(borrow)]
    provider: &'a RawValue,
    #[serde(borrow)]
    stage: &'a RawValue,
    #[serde(borrow)]
    pub pending: &'a RawValue,
    #[serde(borrow)]
    company_key: &'a RawValue,
    key_cache_seconds: u64,
    consent_url: Option<String>,
    #[serde(borrow, default)]
    health: Option<&'a RawValue>,
    #[serde(borrow, default)]
    kid_history: Option<&'a RawValue>,
    #[serde(borrow, default)]
    rewrap: Option<&'a RawValue>,
    #[serde(default)]
    backup_sets: Option<Counted>,
    #[serde(borrow, default)]
    export: Option<&'a RawValue>,
}

/// The part of `BackupSetCount` the overview shows.
#[derive(Deserialize)]
struct Counted {
    count: u32,
}

/// `KmsOverview`'s fields, in its order (`status` flattened first).
#[derive(Serialize)]
struct OverviewText<'a> {
    company_id: &'a str,
    provider: &'a RawValue,
    backup_set_count: u32,
    stage: &'a RawValue,
    pending: &'a RawValue,
    company_key: &'a RawValue,
    health: &'a RawValue,
    kid_history: &'a RawValue,
    rewrap: &'a RawValue,
    key_cache_seconds: u64,
    export: &'a RawValue,
    connector_clouds: Vec<Cloud>,
}

/// `MoveToAwsAnswer` (a `KmsAnswer` flattened, then the policy); `KmsAnswer`
/// is the same without the policy.
#[derive(Serialize)]
struct AnswerText<'a> {
    kms: OverviewText<'a>,
    consent_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aws_key_policy: Option<AwsKeyPolicy>,
}

/// What a missing part defaults to, as `View` decoded it.
struct Defaults {
    null: Box<RawValue>,
    empty: Box<RawValue>,
    export: Box<RawValue>,
}

impl Defaults {
    fn new() -> Result<Self, serde_json::Error> {
        Ok(Self {
            null: RawValue::from_string("null".to_owned())?,
            empty: RawValue::from_string("[]".to_owned())?,
            export: serde_json::value::to_raw_value(&ExportOffer::default())?,
        })
    }
}

impl<'a> ViewText<'a> {
    /// Reads the object's answer.
    pub fn parse(text: &'a str) -> Result<Self, EdgeError> {
        Ok(serde_json::from_str(text)?)
    }

    fn overview(&self, company: &'a CompanyId, env: &Env, d: &'a Defaults) -> OverviewText<'a> {
        OverviewText {
            company_id: company.as_str(),
            provider: self.provider,
            backup_set_count: self.backup_sets.as_ref().map_or(0, |c| c.count),
            stage: self.stage,
            pending: self.pending,
            company_key: self.company_key,
            health: self.health.unwrap_or(&d.null),
            kid_history: self.kid_history.unwrap_or(&d.empty),
            rewrap: self.rewrap.unwrap_or(&d.null),
            key_cache_seconds: self.key_cache_seconds,
            export: self.export.unwrap_or(&d.export),
            connector_clouds: crate::azure::cloud::configured(env),
        }
    }
}

/// `GET …/kms`: the `KmsOverview` of the object's answer `view`.
pub fn overview(env: &Env, company: &CompanyId, view: &str) -> Result<String, EdgeError> {
    let d = Defaults::new()?;
    Ok(serde_json::to_string(
        &ViewText::parse(view)?.overview(company, env, &d),
    )?)
}

/// An action's `KmsAnswer` (with the consent URL when one was issued), or
/// with `aws_key_policy` the `MoveToAwsAnswer`.
pub fn answer(
    env: &Env,
    company: &CompanyId,
    view: &str,
    aws_key_policy: Option<AwsKeyPolicy>,
) -> Result<String, EdgeError> {
    let d = Defaults::new()?;
    let mut view = ViewText::parse(view)?;
    let consent_url = view.consent_url.take();
    Ok(serde_json::to_string(&AnswerText {
        kms: view.overview(company, env, &d),
        consent_url,
        aws_key_policy,
    })?)
}
