use clap::{Parser, Subcommand};

/// Teilhabe – the portal for digital participation and digital literacy in Thuringia.
///
/// Settings come from environment variables and an optional teilhabe.toml (see README).
/// Without DATABASE_URL every command uses the SQLite file <TEILHABE_DATA_DIR>/teilhabe.db.
#[derive(Parser, Debug)]
#[command(name = "teilhabe", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the web portal (the default). Applies migrations; loads demo data when TEILHABE_DEMO is on.
    Serve,
    /// Apply all pending database migrations and refresh the reference data, then exit.
    Migrate,
    /// Load the demo organisations and venues from content/demo/ (safe to run again).
    SeedDemo,
    /// Add many generated courses and dates for benchmarks and load tests (after seed-demo).
    SeedBulk {
        /// Number of courses to add.
        #[arg(long, default_value_t = 1000)]
        courses: usize,
        /// Number of dates to add, spread over the courses and the next 120 days.
        #[arg(long, default_value_t = 5000)]
        dates: usize,
        /// Number of published proposals to add; run `teilhabe reindex` afterwards to search them.
        #[arg(long, default_value_t = 0)]
        proposals: usize,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage kiosk terminals in Probierläden.
    #[command(subcommand)]
    Terminal(TerminalCommand),
    /// Bring in data collected elsewhere.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Rebuild the proposal search index from the database (embedded index or Meilisearch).
    ///
    /// Stop the portal first when it uses the embedded index: only one process may write it.
    Reindex,
    /// Write the anonymised export for the state ministry (TMDI) into a directory.
    ///
    /// Files: courses, dates, dialogue_events, feedback, proposals, statistics_by_district_month,
    /// dataset.jsonld (DCAT-AP.de) and manifest.json (row counts, SHA-256). Days are calendar days in
    /// Europe/Berlin, both inclusive. Layout: content/reference/export-schema.md.
    Export {
        /// First day, e.g. 2026-03-01.
        #[arg(long)]
        from: Option<String>,
        /// Last day, e.g. 2026-03-31, today at the latest; with --since-last it defaults to (and may
        /// not be later than) yesterday.
        #[arg(long)]
        to: Option<String>,
        /// The scheduled export: start the day after the last --since-last run (--from is used only
        /// for the first one). Other exports and HTTP downloads do not move this mark.
        #[arg(long)]
        since_last: bool,
        /// csv, json or xlsx.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Start CSV files with a UTF-8 byte order mark, so Excel shows umlauts correctly.
        #[arg(long)]
        bom: bool,
        /// Directory to write the files into, created when missing; files of the same name are
        /// replaced.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Manage API tokens for the export endpoint.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for an admin; the token is printed once and only its hash is stored.
    Add {
        /// E-mail address of an existing user with the admin role.
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "TMDI Export".
        #[arg(long)]
        name: String,
    },
    /// Revoke an API token at once.
    Revoke {
        /// The id printed by `token add`.
        #[arg(long)]
        id: i32,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Proposals from a CSV or JSON file (columns: title, text, category, district, status,
    /// official_answer, supports, created, with_assistance, town; see content/demo/README.md).
    ///
    /// Every row is checked first. When any row is invalid nothing is imported and every problem is
    /// listed with its line and field, unless --skip-invalid is given.
    Proposals {
        /// The file to import; its name must end in .csv or .json.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Import the valid rows and list the invalid ones.
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user (or reuse an existing one) and grant a role.
    ///
    /// Roles: citizen, volunteer, provider_staff (needs --org), municipality_editor (needs --org),
    /// moderator (needs --district), admin. A new account's initial password is printed once.
    Add {
        /// E-mail address of the person.
        #[arg(long)]
        email: String,
        /// Role to grant.
        #[arg(long)]
        role: String,
        /// Slug of the organisation the role applies to (staff and editors).
        #[arg(long)]
        org: Option<String>,
        /// Kreisschlüssel of the district the role applies to (moderators), e.g. 16051.
        #[arg(long)]
        district: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TerminalCommand {
    /// Register a kiosk terminal at a venue and print its one-time pairing code (valid 30 minutes).
    ///
    /// Open /kiosk in the terminal's browser and enter the code there.
    Add {
        /// Name of the terminal, e.g. "Eingang links".
        #[arg(long)]
        name: String,
        /// Slug of the venue where the terminal stands.
        #[arg(long)]
        venue: String,
    },
}
