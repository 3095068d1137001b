//! No page links to a page of ours that does not exist.
use std::collections::BTreeSet;

use crate::helpers::*;

#[tokio::test]
async fn every_internal_link_on_every_public_page_resolves() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let pages = app.sitemap_pages().await;
    let mut links = BTreeSet::new();
    for page in &pages {
        for lang in ["de", "en"] {
            let (_, doc) = app.get_html(&format!("{page}?lang={lang}")).await;
            for a in select(&doc, "a[href^=\"/\"]") {
                let href = a.value().attr("href").unwrap();
                if !href.starts_with("//") {
                    links.insert((href.split('#').next().unwrap().to_owned(), page.clone()));
                }
            }
        }
    }
    let mut broken = Vec::new();
    let mut checked = BTreeSet::new();
    for (href, page) in links {
        if !checked.insert(href.clone()) {
            continue;
        }
        let status = app.get(&href).await.status();
        // 303 is a protected page sending the visitor to sign in: the link is fine.
        if !(status.is_success() || status == 303) {
            broken.push(format!("{href} ({status}) on {page}"));
        }
    }
    assert!(
        broken.is_empty(),
        "broken internal links:\n{}",
        broken.join("\n")
    );
}
