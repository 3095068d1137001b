//! The plain database search used when the search backend fails: every word must occur in title,
//! text or answer (no stemming, no typo tolerance), newest first. Slower and simpler, but people
//! still find proposals instead of an error page.
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
    sea_query::{Expr, ExprTrait, LikeExpr},
};

use super::{Facets, SearchHit, SearchQuery, SearchResults, SnippetPart, SortOrder};
use crate::{db::entities::proposal, domain::proposal::ProposalStatus};

const MAX_WORDS: usize = 10;
const SNIPPET_CHARS: usize = 200;

fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .collect()
}

fn like_pattern(word: &str) -> LikeExpr {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

fn filtered(query: &SearchQuery, words: &[String]) -> Select<proposal::Entity> {
    let mut select = proposal::Entity::find()
        .filter(proposal::Column::Status.is_in(ProposalStatus::PUBLIC.iter().copied()));
    if let Some(category) = &query.category {
        select = select.filter(proposal::Column::Category.eq(category.as_str()));
    }
    if let Some(district) = &query.district {
        select = select.filter(proposal::Column::DistrictKey.eq(district.as_str()));
    }
    if let Some(status) = &query.status {
        select = select.filter(proposal::Column::Status.eq(status.as_str()));
    }
    let mut all = Condition::all();
    for word in words {
        all = all.add(Expr::col(proposal::Column::SearchText).like(like_pattern(word)));
    }
    select.filter(all)
}

#[derive(FromQueryResult)]
struct Count {
    value: String,
    n: i64,
}

async fn facet(
    db: &impl ConnectionTrait,
    query: &SearchQuery,
    words: &[String],
    column: proposal::Column,
) -> Result<Vec<(String, u64)>, DbErr> {
    let mut counts: Vec<(String, u64)> = filtered(query, words)
        .select_only()
        .column_as(column, "value")
        .column_as(proposal::Column::Id.count(), "n")
        .group_by(column)
        .into_model::<Count>()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.value, Ord::max(c.n, 0) as u64))
        .collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(counts)
}

/// Marks every occurrence of a search word in a short excerpt, case-insensitively.
pub fn highlight(text: &str, words: &[String]) -> Vec<SnippetPart> {
    let excerpt: String = text.chars().take(SNIPPET_CHARS).collect();
    let lower: Vec<char> = excerpt.chars().flat_map(char::to_lowercase).collect();
    // Lower-casing can change the length (rare letters); then show the excerpt unmarked.
    if lower.len() != excerpt.chars().count() || words.is_empty() {
        return vec![SnippetPart {
            text: excerpt,
            highlighted: false,
        }];
    }
    let chars: Vec<char> = excerpt.chars().collect();
    let mut marked = vec![false; chars.len()];
    for word in words {
        let w: Vec<char> = word.chars().collect();
        if w.is_empty() || w.len() > lower.len() {
            continue;
        }
        for start in 0..=lower.len() - w.len() {
            if lower[start..start + w.len()] == w[..] {
                marked[start..start + w.len()]
                    .iter_mut()
                    .for_each(|m| *m = true);
            }
        }
    }
    let mut parts: Vec<SnippetPart> = Vec::new();
    for (c, m) in chars.into_iter().zip(marked) {
        match parts.last_mut() {
            Some(last) if last.highlighted == m => last.text.push(c),
            _ => parts.push(SnippetPart {
                text: c.to_string(),
                highlighted: m,
            }),
        }
    }
    parts
}

pub async fn search(
    db: &impl ConnectionTrait,
    query: &SearchQuery,
) -> Result<SearchResults, DbErr> {
    let words = words(&query.text);
    let per_page = u64::from(Ord::max(query.per_page, 1));
    let total = filtered(query, &words).count(db).await?;
    let mut select = filtered(query, &words);
    select = match query.sort {
        SortOrder::MostSupported => select
            .order_by_desc(proposal::Column::SupportsCount)
            .order_by_desc(proposal::Column::CreatedAt),
        SortOrder::Relevance | SortOrder::Newest => {
            select.order_by_desc(proposal::Column::CreatedAt)
        }
    };
    let models = select
        .order_by_desc(proposal::Column::Id)
        .offset(u64::from(query.page) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    let hits = models
        .into_iter()
        .map(|m| SearchHit {
            snippet: highlight(&m.body, &words),
            id: m.id,
            title: m.title,
            category: m.category,
            district: m.district_key,
            status: m.status.key().to_owned(),
            supports: i64::from(m.supports_count),
            created_at: m.published_at.unwrap_or(m.created_at),
        })
        .collect();
    Ok(SearchResults {
        hits,
        total,
        facets: Facets {
            category: facet(db, query, &words, proposal::Column::Category).await?,
            district: facet(db, query, &words, proposal::Column::DistrictKey).await?,
            status: facet(db, query, &words, proposal::Column::Status).await?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_words_case_insensitively() {
        let parts = highlight("Mehr WLAN im Rathaus, bitte wlan!", &["wlan".into()]);
        let marked: Vec<&str> = parts
            .iter()
            .filter(|p| p.highlighted)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(marked, ["WLAN", "wlan"]);
    }

    #[test]
    fn operators_and_quotes_are_just_characters() {
        assert_eq!(
            words("\"Glasfaser\" AND -Funkloch 100%"),
            ["glasfaser", "and", "funkloch", "100"]
        );
        assert!(words("   ").is_empty());
    }
}
