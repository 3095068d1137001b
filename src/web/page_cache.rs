//! A short-lived cache of public catalogue pages for visitors who are not signed in. The catalogue is
//! read far more often than it changes, and its pages are the same for every anonymous visitor with the
//! same address and language. Any state-changing request on this instance empties the cache at once;
//! other instances catch up within the time to live, so a listing's free places may be a few seconds
//! old there. Booking itself never reads from here.
use std::{
    rc::Rc,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use actix_web::{
    Error, HttpMessage, HttpResponse,
    body::{self, BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, StatusCode, header},
    middleware::Next,
    web,
};

use super::{session::SessionState, state::AppState};
use crate::domain::Language;

#[derive(Clone)]
pub struct PageCache(Option<Pages>);

#[derive(Clone)]
struct Pages {
    entries: moka::sync::Cache<String, Arc<CachedPage>>,
    ttl: Duration,
    /// Raised on every invalidation: a page rendered before a change must not be stored after it.
    generation: Arc<std::sync::atomic::AtomicU64>,
}

pub struct CachedPage {
    content_type: header::HeaderValue,
    disposition: Option<header::HeaderValue>,
    body: web::Bytes,
    fresh_until: Instant,
    /// Set by the one request that renders the page anew once it is stale; the others keep getting the
    /// stale page meanwhile, so an expiring page never sends every waiting request to the database.
    refreshing: AtomicBool,
}

impl PageCache {
    /// `ttl` of zero turns the cache off.
    pub fn new(ttl: Duration) -> Self {
        Self((!ttl.is_zero()).then(|| {
            Pages {
                // Stale pages are served for a short while during a refresh, never longer than this.
                entries: moka::sync::Cache::builder()
                    .max_capacity(5_000)
                    .time_to_live(ttl * 3)
                    .build(),
                ttl,
                generation: Arc::default(),
            }
        }))
    }

    pub fn invalidate_all(&self) {
        if let Some(pages) = &self.0 {
            pages.invalidate_all();
        }
    }
}

impl Pages {
    fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }
}

/// Held by the request that renders a stale page anew. A refresh that ends without storing a page
/// (an error, a cancelled request) lets the next request try again; the others would otherwise get
/// the stale page until it expires at three times its time to live.
struct Refreshing(Arc<CachedPage>);

impl Drop for Refreshing {
    fn drop(&mut self) {
        self.0.refreshing.store(false, Ordering::Release);
    }
}

/// Catalogue pages, programmes and calendar feeds; not the booking form (it carries a form token).
fn cacheable(path: &str) -> bool {
    (path == "/kurse"
        || path.starts_with("/kurse/")
        || path == "/veranstaltungen"
        || path.starts_with("/veranstaltungen/")
        || path.starts_with("/kalender/"))
        && !path.ends_with("/buchen")
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(cache) = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.page_cache.0.clone())
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let res = next.call(req).await?;
        cache.invalidate_all();
        return Ok(res.map_into_boxed_body());
    }
    let anonymous = req
        .extensions()
        .get::<Rc<SessionState>>()
        .is_some_and(|s| s.user.is_none());
    if !anonymous || req.method() != Method::GET || !cacheable(req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let language = req
        .extensions()
        .get::<Language>()
        .copied()
        .unwrap_or(Language::De);
    let key = format!("{}:{}", language.code(), req.uri());
    let mut _refreshing = None;
    if let Some(page) = cache.entries.get(&key) {
        if Instant::now() < page.fresh_until || page.refreshing.swap(true, Ordering::AcqRel) {
            let mut response = HttpResponse::Ok();
            response.insert_header((header::CONTENT_TYPE, page.content_type.clone()));
            if let Some(disposition) = &page.disposition {
                response.insert_header((header::CONTENT_DISPOSITION, disposition.clone()));
            }
            let response = response.body(page.body.clone());
            return Ok(req.into_response(response));
        }
        _refreshing = Some(Refreshing(page));
    }
    let generation = cache.generation.load(Ordering::Acquire);
    let res = next.call(req).await?;
    // Only plain successes without cookies are the same for everyone.
    if res.status() != StatusCode::OK || res.headers().contains_key(header::SET_COOKIE) {
        return Ok(res.map_into_boxed_body());
    }
    let content_type = res.headers().get(header::CONTENT_TYPE).cloned();
    let disposition = res.headers().get(header::CONTENT_DISPOSITION).cloned();
    let (http_req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    if let Some(content_type) = content_type
        && cache.generation.load(Ordering::Acquire) == generation
    {
        cache.entries.insert(
            key,
            Arc::new(CachedPage {
                content_type,
                disposition,
                body: bytes.clone(),
                fresh_until: Instant::now() + cache.ttl,
                refreshing: AtomicBool::new(false),
            }),
        );
    }
    Ok(ServiceResponse::new(
        http_req,
        head.set_body(BoxBody::new(bytes)),
    ))
}
