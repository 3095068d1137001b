//! Public JSON API for partner apps, described at `/api/openapi.json`.
use actix_web::web;

pub fn routes(_cfg: &mut web::ServiceConfig) {}
