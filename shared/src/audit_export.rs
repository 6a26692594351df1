//! The audit trails (the company's Manage KMS trail and a workspace's vault
//! trail) as files a security team keeps: CSV (RFC 4180) for people and
//! spreadsheets, JSON lines for a SIEM. Both files of a trail hold the same
//! columns ([`Row::COLUMNS`]: [`COLUMNS`] for the company trail,
//! [`VAULT_COLUMNS`] for the vault trail), one entry per row or line, in the
//! order given (the edge gives newest first). The edge writes a download a
//! page at a time: [`Format::head`] once, then [`Format::rows`] per page.
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a
//! tab or line break) as a formula; trail text partly comes from outside
//! (an admin's display name, a tenant's account), so such a text cell is
//! written with a leading `'` (OWASP's CSV-injection advice) and every cell
//! is quoted. The JSON lines carry the values unchanged: a SIEM parses them
//! as data.

use serde::Serialize;

use crate::api::AuditEvent;
use crate::audit::ActorKind;
use crate::vaults::VaultAuditEvent;

/// An entry of a trail as the files hold it.
pub trait Row {
    /// The columns of both files, in order.
    const COLUMNS: &'static [&'static str];
    /// The CSV cells, in [`Row::COLUMNS`] order (absent values empty).
    fn cells(&self) -> Vec<String>;
    /// The JSON-lines object (the same names as [`Row::COLUMNS`]), one line.
    fn json(&self) -> String;
}

impl Row for AuditEvent {
    const COLUMNS: &'static [&'static str] = &COLUMNS;
    fn cells(&self) -> Vec<String> {
        Record::of(self).cells()
    }
    fn json(&self) -> String {
        // A record of strings and numbers always serializes.
        serde_json::to_string(&Record::of(self)).unwrap_or_default()
    }
}

/// The columns of the vault trail's files, in order.
pub const VAULT_COLUMNS: [&str; 12] = [
    "seq",
    "time",
    "at_ms",
    "actor_kind",
    "actor",
    "actor_name",
    "actor_role",
    "action",
    "vault_id",
    "outcome",
    "detail",
    "request_id",
];

/// What every record starts with: which entry, when, and who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Who<'a> {
    /// Sequence number within the trail.
    pub seq: u64,
    /// When, RFC 3339 UTC.
    pub time: String,
    /// When, Unix milliseconds.
    pub at_ms: u64,
    /// Who, by kind.
    pub actor_kind: ActorKind,
    /// RedApp's user id (or `keyswitch`).
    pub actor: &'a str,
    /// The actor's display name.
    pub actor_name: &'a str,
    /// The actor's role in RedApp.
    pub actor_role: &'static str,
}

impl Who<'_> {
    fn cells(&self) -> Vec<String> {
        vec![
            self.seq.to_string(),
            self.time.clone(),
            self.at_ms.to_string(),
            self.actor_kind.as_str().to_owned(),
            self.actor.to_owned(),
            self.actor_name.to_owned(),
            self.actor_role.to_owned(),
        ]
    }
}

fn opt(v: Option<&str>) -> String {
    v.unwrap_or_default().to_owned()
}

/// One vault-trail entry as both files hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VaultRecord<'a> {
    /// Which entry, when, who.
    #[serde(flatten)]
    pub who: Who<'a>,
    /// What was done.
    pub action: &'static str,
    /// The vault concerned.
    pub vault_id: Option<&'a str>,
    /// How it ended.
    pub outcome: &'static str,
    /// The catalog code of a failure or a note.
    pub detail: Option<&'a str>,
    /// The request that caused it.
    pub request_id: Option<&'a str>,
}

impl<'a> VaultRecord<'a> {
    /// The record of `event`.
    #[must_use]
    pub fn of(event: &'a VaultAuditEvent) -> Self {
        Self {
            who: Who {
                seq: event.seq,
                time: crate::notify::rfc3339(event.at_ms),
                at_ms: event.at_ms,
                actor_kind: ActorKind::of(event.actor_role, None),
                actor: &event.actor,
                actor_name: &event.actor_name,
                actor_role: event.actor_role.as_str(),
            },
            action: event.action.as_str(),
            vault_id: event.vault_id.as_deref(),
            outcome: event.outcome.as_str(),
            detail: event.detail.as_deref(),
            request_id: event.request_id.as_deref(),
        }
    }
}

impl Row for VaultAuditEvent {
    const COLUMNS: &'static [&'static str] = &VAULT_COLUMNS;
    fn cells(&self) -> Vec<String> {
        let r = VaultRecord::of(self);
        let mut cells = r.who.cells();
        cells.extend([
            r.action.to_owned(),
            opt(r.vault_id),
            r.outcome.to_owned(),
            opt(r.detail),
            opt(r.request_id),
        ]);
        cells
    }
    fn json(&self) -> String {
        serde_json::to_string(&VaultRecord::of(self)).unwrap_or_default()
    }
}

/// The columns of both files, in order.
pub const COLUMNS: [&str; 15] = [
    "seq",
    "time",
    "at_ms",
    "actor_kind",
    "actor",
    "actor_name",
    "actor_role",
    "outside_admin_provider",
    "outside_admin_account",
    "action",
    "outcome",
    "from",
    "to",
    "detail",
    "request_id",
];

/// The media type of the CSV download (RFC 4180 with its `header`
/// parameter: the first row names the columns).
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8; header=present";

/// The media type of the JSON-lines download.
pub const JSONL_CONTENT_TYPE: &str = "application/x-ndjson; charset=utf-8";

/// The two download formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl Format {
    /// The format named by `?format=` (`csv` or `jsonl`).
    pub fn parse(value: &str) -> Result<Self, crate::CatalogError> {
        match value {
            "csv" => Ok(Self::Csv),
            "jsonl" => Ok(Self::JsonLines),
            _ => Err(crate::CatalogError::InvalidField {
                field: "format".into(),
                reason: "must be csv or jsonl".into(),
            }),
        }
    }

    /// Its file name extension.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::JsonLines => "jsonl",
        }
    }

    /// Its `Content-Type`.
    #[must_use]
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => CSV_CONTENT_TYPE,
            Self::JsonLines => JSONL_CONTENT_TYPE,
        }
    }

    /// What the file starts with: the CSV header row; nothing for JSON
    /// lines.
    #[must_use]
    pub fn head<R: Row>(self) -> String {
        let mut out = String::new();
        if self == Self::Csv {
            push_row(&mut out, R::COLUMNS.iter().map(|c| (*c).to_owned()));
        }
        out
    }

    /// The rows (CSV) or lines (JSON lines) of `events`, in order.
    #[must_use]
    pub fn rows<R: Row>(self, events: &[R]) -> String {
        let mut out = String::with_capacity(events.len() * 320);
        for event in events {
            match self {
                Self::Csv => push_row(&mut out, event.cells().into_iter()),
                Self::JsonLines => {
                    out.push_str(&event.json());
                    out.push('\n');
                }
            }
        }
        out
    }

    /// The whole file for `events`.
    #[must_use]
    pub fn file<R: Row>(self, events: &[R]) -> String {
        let mut out = self.head::<R>();
        out.push_str(&self.rows(events));
        out
    }
}

/// One company-trail entry as both files hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record<'a> {
    /// Which entry, when, who.
    #[serde(flatten)]
    pub who: Who<'a>,
    /// `microsoft` or `google` when an admin there did the step.
    pub outside_admin_provider: Option<&'static str>,
    /// That admin's account.
    pub outside_admin_account: Option<&'a str>,
    /// What was done.
    pub action: &'static str,
    /// How it ended.
    pub outcome: &'static str,
    /// Stage before.
    pub from: &'static str,
    /// Stage after.
    pub to: &'static str,
    /// The catalog code of a failure or a note.
    pub detail: Option<&'a str>,
    /// The request that caused it.
    pub request_id: Option<&'a str>,
}

impl<'a> Record<'a> {
    /// The record of `event`.
    #[must_use]
    pub fn of(event: &'a AuditEvent) -> Self {
        Self {
            who: Who {
                seq: event.seq,
                time: crate::notify::rfc3339(event.at_ms),
                at_ms: event.at_ms,
                actor_kind: event.actor_kind(),
                actor: &event.actor,
                actor_name: &event.actor_name,
                actor_role: event.actor_role.as_str(),
            },
            outside_admin_provider: event.outside_admin.as_ref().map(|a| a.provider.as_str()),
            outside_admin_account: event.outside_admin.as_ref().map(|a| a.account.as_str()),
            action: event.action.as_str(),
            outcome: event.outcome.as_str(),
            from: event.from.as_str(),
            to: event.to.as_str(),
            detail: event.detail.as_deref(),
            request_id: event.request_id.as_deref(),
        }
    }

    /// The cells, in [`COLUMNS`] order (absent values empty).
    fn cells(&self) -> Vec<String> {
        let mut cells = self.who.cells();
        cells.extend([
            opt(self.outside_admin_provider),
            opt(self.outside_admin_account),
            self.action.to_owned(),
            self.outcome.to_owned(),
            self.from.to_owned(),
            self.to.to_owned(),
            opt(self.detail),
            opt(self.request_id),
        ]);
        cells
    }
}

/// Whether a spreadsheet would read `text` as a formula: its first
/// character, after any spaces, is `=`, `+`, `-`, `@` (or their
/// full-width forms), a tab or a line break.
#[must_use]
pub fn starts_formula(text: &str) -> bool {
    let first = text.trim_start_matches(' ').chars().next();
    matches!(
        first,
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '＝' | '＋' | '－' | '＠')
    )
}

/// One CSV cell: neutralised when it would run as a formula, always quoted,
/// quotes doubled (RFC 4180 §2.5–2.7).
#[must_use]
pub fn csv_cell(text: &str) -> String {
    let guard = if starts_formula(text) { "'" } else { "" };
    format!("\"{guard}{}\"", text.replace('"', "\"\""))
}

/// The CSV file: a header row, then one row per entry; lines end in CRLF.
#[must_use]
pub fn csv<R: Row>(events: &[R]) -> String {
    Format::Csv.file(events)
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    let row: Vec<String> = cells.map(|c| csv_cell(&c)).collect();
    out.push_str(&row.join(","));
    out.push_str("\r\n");
}

/// The JSON-lines file: one [`Record`] object per line, each line ending
/// in `\n`.
#[must_use]
pub fn json_lines<R: Row>(events: &[R]) -> String {
    Format::JsonLines.file(events)
}

/// The download's file name: `audit-<company>-<YYYYMMDDTHHMMSSZ>.<ext>`.
#[must_use]
pub fn file_name(company: &crate::CompanyId, now_ms: u64, format: Format) -> String {
    named("audit", company, now_ms, format)
}

/// The vault trail's file name:
/// `vault-audit-<workspace>-<YYYYMMDDTHHMMSSZ>.<ext>`.
#[must_use]
pub fn vault_file_name(workspace: &crate::CompanyId, now_ms: u64, format: Format) -> String {
    named("vault-audit", workspace, now_ms, format)
}

fn named(prefix: &str, owner: &crate::CompanyId, now_ms: u64, format: Format) -> String {
    let stamp: String = crate::notify::rfc3339(now_ms)
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    format!("{prefix}-{}-{stamp}.{}", owner.as_str(), format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditAction, IdentityProvider, Outcome, OutsideAdmin, Role};
    use crate::switch::Stage;

    fn event(seq: u64, name: &str, detail: Option<&str>) -> AuditEvent {
        AuditEvent {
            seq,
            at_ms: 1_796_068_800_000,
            actor: "u-1".into(),
            actor_name: name.into(),
            actor_role: Role::CompanyAdmin,
            action: AuditAction::AdminConsent,
            outcome: Outcome::Succeeded,
            from: Stage::AwaitingConsent,
            to: Stage::AwaitingRoleAssignment,
            detail: detail.map(str::to_owned),
            outside_admin: Some(OutsideAdmin {
                provider: IdentityProvider::Microsoft,
                account: "adele@contoso.com".into(),
            }),
            request_id: Some("8f1e2d3c4b5a6978".into()),
        }
    }

    #[test]
    fn formulas_are_neutralised_and_quotes_doubled() {
        for f in [
            "=1+1",
            "+cmd",
            "-2",
            "@SUM(A1)",
            "\t=x",
            "  =HYPERLINK(\"x\")",
            "＝1",
        ] {
            assert!(starts_formula(f), "{f:?}");
            assert!(csv_cell(f).starts_with("\"'"), "{f:?}");
        }
        for f in ["Casey", "a=b", "", "1-2"] {
            assert!(!starts_formula(f), "{f:?}");
        }
        assert_eq!(
            csv_cell("say \"hi\", then\r\nleave"),
            "\"say \"\"hi\"\", then\r\nleave\""
        );
        assert_eq!(csv_cell("=1"), "\"'=1\"");
    }

    #[test]
    fn csv_has_a_header_and_one_crlf_row_per_entry() {
        let events = [
            event(2, "=cmd|' /C calc'!A0", Some("tenant, \"x\"")),
            event(1, "Casey", None),
        ];
        let file = csv(&events);
        let lines: Vec<&str> = file.split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{file}");
        assert_eq!(lines[3], "");
        assert!(lines[0].starts_with("\"seq\",\"time\",\"at_ms\",\"actor_kind\""));
        assert!(lines[1].starts_with("\"2\",\"2026-11-30T20:00:00Z\",\"1796068800000\",\"microsoft_admin\",\"u-1\",\"'=cmd|' /C calc'!A0\""), "{}", lines[1]);
        assert!(lines[1].contains("\"tenant, \"\"x\"\"\""));
        assert!(lines[1].ends_with("\"8f1e2d3c4b5a6978\""));
        assert!(lines[2].contains("\"Casey\""));
    }

    #[test]
    fn json_lines_carry_the_values_unchanged() {
        let events = [event(2, "=1+1", Some("a\nb")), event(1, "Casey", None)];
        let file = json_lines(&events);
        assert!(file.ends_with('\n'));
        let lines: Vec<serde_json::Value> = file
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["actor_name"], "=1+1");
        assert_eq!(lines[0]["detail"], "a\nb");
        assert_eq!(lines[0]["outside_admin_account"], "adele@contoso.com");
        assert_eq!(lines[0]["outside_admin_provider"], "microsoft");
        assert_eq!(lines[0]["actor_kind"], "microsoft_admin");
        assert_eq!(lines[0]["time"], "2026-11-30T20:00:00Z");
        assert_eq!(lines[1]["detail"], serde_json::Value::Null);
        let keys: Vec<String> = lines[0].as_object().unwrap().keys().cloned().collect();
        let mut want: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
        let mut got = keys;
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }

    fn vault_event(seq: u64, name: &str) -> VaultAuditEvent {
        VaultAuditEvent {
            seq,
            at_ms: 1_796_068_800_000,
            actor: "u-2".into(),
            actor_name: name.into(),
            actor_role: Role::WorkspaceOwner,
            action: AuditAction::VaultCreated,
            vault_id: Some("v-1".into()),
            outcome: Outcome::Succeeded,
            detail: None,
            request_id: Some("0a1b2c3d4e5f6071".into()),
        }
    }

    #[test]
    fn each_format_is_sent_as_its_media_type() {
        assert_eq!(
            Format::Csv.content_type(),
            "text/csv; charset=utf-8; header=present"
        );
        assert_eq!(
            Format::JsonLines.content_type(),
            "application/x-ndjson; charset=utf-8"
        );
    }

    #[test]
    fn a_page_at_a_time_makes_the_same_file() {
        let events = [
            vault_event(3, "+cmd"),
            vault_event(2, "Casey"),
            vault_event(1, "Ola"),
        ];
        for format in [Format::Csv, Format::JsonLines] {
            let mut streamed = format.head::<VaultAuditEvent>();
            streamed.push_str(&format.rows(&events[..2]));
            streamed.push_str(&format.rows(&events[2..]));
            streamed.push_str(&format.rows::<VaultAuditEvent>(&[]));
            assert_eq!(streamed, format.file(&events), "{format:?}");
        }
        assert_eq!(Format::JsonLines.head::<VaultAuditEvent>(), "");
    }

    #[test]
    fn vault_rows_have_their_columns() {
        let file = csv(&[vault_event(1, "@Casey")]);
        let lines: Vec<&str> = file.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "\"seq\",\"time\",\"at_ms\",\"actor_kind\",\"actor\",\"actor_name\",\"actor_role\",\"action\",\"vault_id\",\"outcome\",\"detail\",\"request_id\""
        );
        assert_eq!(
            lines[1],
            "\"1\",\"2026-11-30T20:00:00Z\",\"1796068800000\",\"redapp_user\",\"u-2\",\"'@Casey\",\"workspace_owner\",\"vault_created\",\"v-1\",\"succeeded\",\"\",\"0a1b2c3d4e5f6071\""
        );
        let line: serde_json::Value =
            serde_json::from_str(json_lines(&[vault_event(1, "@Casey")]).trim_end()).unwrap();
        let mut keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut want = VAULT_COLUMNS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(line["actor_name"], "@Casey");
        assert_eq!(line["detail"], serde_json::Value::Null);
    }

    #[test]
    fn formats_and_file_names() {
        assert_eq!(Format::parse("csv").unwrap(), Format::Csv);
        assert_eq!(Format::parse("jsonl").unwrap(), Format::JsonLines);
        let err = Format::parse("xlsx").unwrap_err();
        assert_eq!(err.body().field.as_deref(), Some("format"));
        let company: crate::CompanyId = "acme".parse().unwrap();
        assert_eq!(
            file_name(&company, 1_796_068_800_000, Format::Csv),
            "audit-acme-20261130T200000Z.csv"
        );
        assert_eq!(
            vault_file_name(&company, 1_796_068_800_000, Format::JsonLines),
            "vault-audit-acme-20261130T200000Z.jsonl"
        );
    }
}
