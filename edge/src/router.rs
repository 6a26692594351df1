//! The route table, built once per isolate and matched on every request.
//!
//! workers-rs's `Router` is consumed by its `run`, so a worker that uses it
//! builds its whole table (a matchit tree per method, every pattern parsed
//! and inserted) for each request: 17 % of `/api/health`'s isolate CPU and
//! about 10 % of `GET …/kms`'s in a profile (issue 15). This table is the
//! same matching (matchit 0.7, `:name` segments) with the same outcomes
//! (the method's route, else 405 when another method has the path, else
//! 404), built the first time the isolate routes a request and kept. A 405
//! now also says which methods the path takes (`Allow`, RFC 9110 §15.5.6).

use matchit::{InsertError, Router as Tree};
use worker::{Env, Method, Request, Response};

use crate::error::EdgeError;
use crate::request_id::RequestId;
use crate::routes::{self, Answer, Pending};

/// What a handler gets: the request's id (`data`), the env, the path params.
pub struct Ctx {
    pub data: RequestId,
    pub env: Env,
    params: Params,
}

impl Ctx {
    /// The path segment the route's pattern names `:name`.
    pub fn param(&self, name: &str) -> Option<&String> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// A route's handler: one that answers at once, or one whose answer is a
/// boxed future (every route shares one [`routes::run`], not a copy each).
#[derive(Clone, Copy)]
pub enum Handler {
    Now(fn(Request, Ctx) -> Answer),
    Later(fn(Request, Ctx) -> Pending),
}

/// The routes of the methods the API uses.
#[derive(Default)]
pub struct Table {
    get: Tree<Handler>,
    post: Tree<Handler>,
    put: Tree<Handler>,
    /// The first pattern that could not be added (two routes for one path).
    invalid: Option<String>,
}

impl Table {
    pub fn get(mut self, pattern: &str, handler: Handler) -> Self {
        let added = self.get.insert(pattern, handler);
        self.added("GET", pattern, added)
    }

    pub fn post(mut self, pattern: &str, handler: Handler) -> Self {
        let added = self.post.insert(pattern, handler);
        self.added("POST", pattern, added)
    }

    pub fn put(mut self, pattern: &str, handler: Handler) -> Self {
        let added = self.put.insert(pattern, handler);
        self.added("PUT", pattern, added)
    }

    /// Keeps the first pattern that could not be added.
    fn added(mut self, method: &str, pattern: &str, added: Result<(), InsertError>) -> Self {
        if let Err(e) = added {
            self.invalid
                .get_or_insert_with(|| format!("{method} {pattern}: {e}"));
        }
        self
    }

    /// The table, or why one of its routes could not be added.
    pub fn finish(self) -> Result<Self, String> {
        match self.invalid {
            Some(why) => Err(why),
            None => Ok(self),
        }
    }

    fn tree(&self, method: &Method) -> Option<&Tree<Handler>> {
        match method {
            Method::Get => Some(&self.get),
            Method::Post => Some(&self.post),
            Method::Put => Some(&self.put),
            _ => None,
        }
    }

    /// The handler and params for `method` on `path`, or why there is none.
    fn find(&self, method: &Method, path: &str) -> Result<(Handler, Params), Unrouted> {
        if let Some(found) = self.tree(method).and_then(|t| t.at(path).ok()) {
            let params = found
                .params
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            return Ok((*found.value, params));
        }
        let allow: Vec<&str> = [("GET", &self.get), ("POST", &self.post), ("PUT", &self.put)]
            .into_iter()
            .filter(|(_, t)| t.at(path).is_ok())
            .map(|(name, _)| name)
            .collect();
        if allow.is_empty() {
            Err(Unrouted::NotFound)
        } else {
            Err(Unrouted::Method {
                allow: allow.join(", "),
            })
        }
    }
}

type Params = Vec<(String, String)>;

/// A request no route takes.
enum Unrouted {
    /// No method has the path: 404.
    NotFound,
    /// Other methods have it: 405, with the `Allow` header HTTP requires.
    Method { allow: String },
}

thread_local! {
    /// Built on the isolate's first request; the routes never change after.
    static TABLE: Result<Table, String> = crate::routes_table();
}

/// Routes the request: its handler's answer (an error as its catalog
/// answer), or the catalog's 404, or its 405 with `Allow`.
pub async fn route(req: Request, env: Env, id: &RequestId) -> worker::Result<Response> {
    let method = req.method();
    let path = req.path();
    let found = TABLE.with(|table| match table {
        Ok(table) => Ok(table.find(&method, &path)),
        Err(why) => Err(why.clone()),
    });
    let (handler, params) = match found {
        Ok(Ok(found)) => found,
        Ok(Err(Unrouted::NotFound)) => return EdgeError::NoRoute { status: 404 }.into_response(id),
        Ok(Err(Unrouted::Method { allow })) => {
            let resp = EdgeError::NoRoute { status: 405 }.into_response(id)?;
            resp.headers().set("Allow", &allow)?;
            return Ok(resp);
        }
        // Logged once, as every 5xx is (error.rs); the client gets the
        // catalog's generic text.
        Err(why) => {
            let why = worker::Error::RustError(format!("the route table is invalid: {why}"));
            return EdgeError::Worker(why).into_response(id);
        }
    };
    let ctx = Ctx {
        data: id.clone(),
        env,
        params,
    };
    match handler {
        Handler::Now(handler) => routes::run_now(req, ctx, handler),
        Handler::Later(handler) => routes::run(req, ctx, handler).await,
    }
}
