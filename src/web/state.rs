use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    config::Settings,
    i18n::Translations,
    mail::compose::Composer,
    sealing::Sealer,
    search::{Search, SharedIndex, indexer::IndexWake},
    services::{
        booking::{DateQueues, Desk},
        content::ContentPages,
        feedback::FeedbackDesk,
        proposals::ProposalDesk,
        pseudonyms::Pseudonyms,
        reference::District,
        volunteering::{FeedDesk, HoursDesk, PlanningDesk, ReminderDesk, SessionDesk, SignUpDesk},
    },
};

/// Everything a handler needs, shared by all workers. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    /// Mails and the sitemap, whose language is not the page's.
    pub templates: Arc<tera::Tera>,
    /// The pages, one set per language with the fixed texts written in.
    pub page_templates: Arc<super::page_templates::PageTemplates>,
    pub translations: Translations,
    pub content: ContentPages,
    pub page_cache: super::page_cache::PageCache,
    /// The proposal search (configured backend with the database as fallback).
    pub search: Search,
    /// Wakes the search-index worker after a change.
    pub index_wake: IndexWake,
    /// Versions of the static files, for their addresses and caching.
    pub assets: super::assets::Assets,
    pub districts: crate::services::reference::DistrictCache,
    /// Keyed hashes of stored addresses (supports, throttle counts).
    pub pseudonyms: Pseudonyms,
    /// Seals what must be read back, under a key derived from the pseudonyms' (booking links).
    pub sealer: Sealer,
    /// Bookings waiting for their date's next turn (see `services::booking`).
    pub booking_queues: DateQueues,
}

impl AppState {
    pub fn composer(&self) -> Composer {
        Composer {
            templates: self.templates.clone(),
            translations: self.translations.clone(),
            base_url: self.settings.base_url.to_string(),
            sealer: self.sealer.clone(),
        }
    }

    /// Thuringia's districts by name (read once, see `DistrictCache`).
    pub async fn districts(&self) -> Result<Arc<[District]>, sea_orm::DbErr> {
        self.districts.get(&self.db).await
    }

    pub fn booking_desk(&self) -> Desk {
        Desk {
            db: self.db.clone(),
            composer: self.composer(),
            offer_hold: chrono::Duration::from_std(self.settings.offer_hold)
                .unwrap_or(chrono::Duration::hours(24)),
            queues: self.booking_queues.clone(),
            pseudonyms: self.pseudonyms.clone(),
        }
    }

    pub fn feedback_desk(&self) -> FeedbackDesk {
        FeedbackDesk {
            db: self.db.clone(),
            composer: self.composer(),
            code_valid_for: chrono::Duration::from_std(self.settings.feedback_code_valid)
                .unwrap_or(chrono::Duration::days(14)),
        }
    }

    /// Coordinators' planning of volunteer sessions (also the course back office's, which keeps the
    /// helper sessions of its dates in step).
    pub fn volunteer_planning(&self) -> PlanningDesk {
        PlanningDesk {
            db: self.db.clone(),
            composer: self.composer(),
        }
    }

    pub fn volunteer_sign_up(&self) -> SignUpDesk {
        SignUpDesk {
            db: self.db.clone(),
            composer: self.composer(),
            min_notice: chrono::Duration::from_std(self.settings.volunteer_min_notice)
                .unwrap_or(chrono::Duration::hours(48)),
        }
    }

    pub fn volunteer_session(&self) -> SessionDesk {
        SessionDesk {
            db: self.db.clone(),
        }
    }

    pub fn volunteer_hours(&self) -> HoursDesk {
        HoursDesk {
            db: self.db.clone(),
        }
    }

    pub fn volunteer_feeds(&self) -> FeedDesk {
        FeedDesk {
            db: self.db.clone(),
            composer: self.composer(),
        }
    }

    pub fn volunteer_reminders(&self) -> ReminderDesk {
        ReminderDesk {
            db: self.db.clone(),
            composer: self.composer(),
        }
    }

    pub fn alert_desk(&self) -> crate::services::course_alerts::AlertDesk {
        crate::services::course_alerts::AlertDesk {
            db: self.db.clone(),
            composer: self.composer(),
        }
    }

    pub fn proposal_desk(&self) -> ProposalDesk {
        ProposalDesk {
            db: self.db.clone(),
            composer: self.composer(),
            index_wake: self.index_wake.clone(),
            pseudonyms: self.pseudonyms.clone(),
        }
    }

    pub fn new(
        db: DatabaseConnection,
        settings: Settings,
        index: SharedIndex,
        index_wake: IndexWake,
    ) -> anyhow::Result<Self> {
        let translations = Translations::load(&settings.content_dir().join("locales"))?;
        let assets = super::assets::Assets::new(&settings.static_dir());
        let configure = |tera: &mut tera::Tera| {
            // Escaping is on for .html and .xml only; every template is named that way.
            tera.autoescape_on(vec![".html", ".xml"]);
            translations.register(tera);
            assets.register(tera);
            super::submission::register(tera);
        };
        let templates =
            super::page_templates::load(&settings.templates_dir(), &translations, configure)?;
        let content = ContentPages::new(
            &settings.content_dir(),
            &settings.static_dir(),
            settings.contacts.clone(),
            settings.base_url.to_string(),
            translations.clone(),
            (settings.retention.as_secs() / 86_400) as i64,
        );
        let page_cache_ttl = settings.page_cache_ttl;
        let pseudonyms = Pseudonyms::from_settings(&settings)?;
        Ok(Self {
            search: Search {
                index,
                db: db.clone(),
            },
            index_wake,
            db,
            settings: Arc::new(settings),
            templates: Arc::new(templates.shared),
            page_templates: Arc::new(templates.pages),
            translations,
            content,
            page_cache: super::page_cache::PageCache::new(page_cache_ttl),
            assets,
            districts: Default::default(),
            sealer: pseudonyms.sealer(),
            pseudonyms,
            booking_queues: DateQueues::on_current_runtime(),
        })
    }
}
