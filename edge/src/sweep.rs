//! The Cron Trigger safety net (issue 14 item 1): every company's object
//! schedules its own work with its alarm; if an alarm is ever lost (an
//! eviction at the wrong moment, a failed `setAlarm`), the company would be
//! forgotten. The sweep lists the KV read copies (their list metadata is a
//! [`SweepMark`]: on Azure Key Vault, and when the alarm is due) and wakes
//! every company whose due time passed more than [`SWEEP_GRACE_MS`] ago;
//! the object then tells its model what its alarm really is
//! ([`Command::Sweep`]), and the model re-arms a lost alarm and does what is
//! overdue. The sweep reads KV only; it wakes nobody whose alarm is on time.

use keyswitch_shared::CompanyId;
use keyswitch_shared::read_copy::{PREFIX, SWEEP_GRACE_MS, SweepMark};
use worker::Env;

use crate::company::commands::{Command, SweepAnswer};
use crate::config;
use crate::do_client;
use crate::error::EdgeError;
use crate::request_id::RequestId;

/// What one sweep did.
#[derive(Debug, Default)]
pub struct Swept {
    /// Read copies listed.
    pub listed: u32,
    /// Companies woken (their due time had passed).
    pub woken: u32,
    /// Of those, companies whose alarm was missing or late and was re-armed.
    pub restored: u32,
    /// Companies that could not be woken (logged; the next sweep tries again).
    pub failed: u32,
}

/// Lists every read copy and wakes the overdue companies.
///
/// # Errors
/// KV could not be listed.
pub async fn run(env: &Env) -> Result<Swept, EdgeError> {
    let kv = env.kv(config::KMS_CACHE)?;
    let now = crate::clock::now_ms();
    let id = RequestId::random();
    let mut out = Swept::default();
    let mut cursor: Option<String> = None;
    loop {
        let mut list = kv.list().prefix(PREFIX.to_owned());
        if let Some(c) = cursor.take() {
            list = list.cursor(c);
        }
        let page = list.execute().await?;
        for key in page.keys {
            out.listed += 1;
            let mark: Option<SweepMark> = key.metadata.and_then(|m| serde_json::from_value(m).ok());
            if !mark.is_some_and(|m| m.overdue(now, SWEEP_GRACE_MS)) {
                continue;
            }
            let Some(company) = key
                .name
                .strip_prefix(PREFIX)
                .and_then(|c| c.parse::<CompanyId>().ok())
            else {
                continue;
            };
            out.woken += 1;
            match do_client::call::<SweepAnswer>(env, &id, &company, &Command::Sweep).await {
                Ok(answer) => out.restored += u32::from(answer.restored),
                Err(e) => {
                    out.failed += 1;
                    worker::console_error!("sweep: company {company}: {}", e.chain());
                }
            }
        }
        match page.cursor.filter(|_| !page.list_complete) {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(out)
}
