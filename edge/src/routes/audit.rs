//! `/api/companies/:company/kms/audit…`: the company's audit trail, a page
//! at a time (filtered by action and outcome), and the whole trail (or the
//! filtered part) as a CSV or JSON-lines download. Authorised like every
//! company route: the company's admins only. The downloads of both trails
//! (this one and a workspace's vault trail, `routes::vaults`) are streamed
//! ([`stream`]): the worker holds one page at a time, however long the
//! trail.

use std::rc::Rc;

use keyswitch_shared::CompanyId;
use keyswitch_shared::api::{AuditEvent, AuditTrail};
use keyswitch_shared::audit::AuditFilter;
use keyswitch_shared::audit_export::{self, Format, Row};
use serde::de::DeserializeOwned;
use worker::{Env, Request, Response, Url};

use super::kms::caller;
use super::{Answer, Ctx};
use crate::audit::{self, Page, Query};
use crate::company::commands::Command;
use crate::do_client;
use crate::error::EdgeError;
use crate::request_id::RequestId;

/// `GET …/kms/audit?cursor=<seq>&limit=N&action=…&outcome=…`: one page of
/// the audit trail, newest first.
pub async fn get_page(req: Request, ctx: Ctx) -> Answer {
    let (_, company) = caller(&req, &ctx).await?;
    let query = audit::Query::from_url(&req.url()?)?;
    let trail: AuditTrail =
        do_client::call(&ctx.env, &ctx.data, &company, &Command::Audit { query }).await?;
    Ok(Response::from_json(&trail)?)
}

/// `GET …/kms/audit/download?format=csv|jsonl&action=…&outcome=…`: every
/// event that passes the filter, newest first, as a file.
pub async fn download(req: Request, ctx: Ctx) -> Answer {
    let (_, company) = caller(&req, &ctx).await?;
    let (format, filter) = download_query(&req.url()?)?;
    let name = audit_export::file_name(&company, crate::clock::now_ms(), format);
    let source = Source {
        env: ctx.env.clone(),
        rid: ctx.data.clone(),
        owner: company,
        filter,
        command: |query| Command::Audit { query },
    };
    stream::<_, AuditEvent>(source, format, &name).await
}

/// The `format` (required) and the filter of a download's query string;
/// anything else is refused, naming the parameter.
pub fn download_query(url: &Url) -> Result<(Format, AuditFilter), EdgeError> {
    let mut filter = AuditFilter::default();
    let mut format = None;
    for (name, value) in url.query_pairs() {
        if name == "format" {
            format = Some(Format::parse(&value)?);
        } else {
            filter.take(&name, &value)?;
        }
    }
    let format = format.ok_or_else(|| EdgeError::field("format", "must be csv or jsonl"))?;
    Ok((format, filter))
}

/// Events per Durable Object page while a download streams: the most the
/// worker holds at once.
pub const DOWNLOAD_PAGE: usize = 250;

/// Where a download reads its pages: the object of `owner` (a company or a
/// workspace), asked with `command` for one page of the filtered trail.
pub struct Source<C> {
    /// The worker's env (the object's binding).
    pub env: Env,
    /// The request downloading (logged by the object, and on a cut).
    pub rid: RequestId,
    /// The company or workspace.
    pub owner: CompanyId,
    /// Which events.
    pub filter: AuditFilter,
    /// The page command of that object.
    pub command: fn(Query) -> C,
}

impl<C: do_client::Command> Source<C> {
    async fn page<E: DeserializeOwned>(&self, cursor: Option<u64>) -> Result<Page<E>, EdgeError> {
        let query = Query {
            cursor,
            limit: DOWNLOAD_PAGE,
            filter: self.filter.clone(),
        };
        do_client::call(&self.env, &self.rid, &self.owner, &(self.command)(query)).await
    }
}

/// What the body stream does next.
enum Step {
    /// Send this chunk, then read from the cursor (or end).
    Send(Vec<u8>, Option<u64>),
    /// Read the page older than this sequence number.
    Read(u64),
    /// The file is complete.
    End,
}

/// Answers the trail of `source` as a file named `name`, newest first,
/// streamed page by page (each page read from the object's cursor when the
/// previous one has been sent): constant memory in the worker, however long
/// the trail. The first page is read before answering, so a refusal (bad
/// filter, no access) is still a catalog error with its status. A page that
/// fails later cannot change the status any more: the stream is aborted
/// (the client sees a cut connection, never a file that looks complete) and
/// the cut is logged with the request id.
pub async fn stream<C, E>(source: Source<C>, format: Format, name: &str) -> Answer
where
    C: do_client::Command + 'static,
    E: Row + DeserializeOwned + 'static,
{
    let first: Page<E> = source.page(None).await?;
    let mut head = format.head::<E>();
    head.push_str(&format.rows(&first.events));
    let source = Rc::new(source);
    let body = futures_util::stream::unfold(
        Step::Send(head.into_bytes(), first.next_cursor),
        move |step| {
            let source = Rc::clone(&source);
            async move {
                match step {
                    Step::End => None,
                    Step::Send(chunk, next) => {
                        Some((Ok(chunk), next.map_or(Step::End, Step::Read)))
                    }
                    Step::Read(cursor) => match source.page::<E>(Some(cursor)).await {
                        Ok(page) => {
                            let rows = format.rows(&page.events).into_bytes();
                            Some((Ok(rows), page.next_cursor.map_or(Step::End, Step::Read)))
                        }
                        Err(e) => {
                            worker::console_error!(
                                "request {}: audit download of {} cut at cursor {cursor}: {}",
                                source.rid.as_str(),
                                source.owner.as_str(),
                                e.chain()
                            );
                            Some((
                                Err(worker::Error::RustError(
                                    "the audit download was cut short".into(),
                                )),
                                Step::End,
                            ))
                        }
                    },
                }
            }
        },
    );
    let resp = Response::from_stream(body)?;
    let h = resp.headers();
    h.set("Content-Type", format.content_type())?;
    h.set(
        "Content-Disposition",
        &format!("attachment; filename=\"{name}\""),
    )?;
    h.set("Cache-Control", "no-store")?;
    h.set("X-Content-Type-Options", "nosniff")?;
    Ok(resp)
}
