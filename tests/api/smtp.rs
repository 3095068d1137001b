//! Real SMTP delivery: the outbox is sent over SMTP to a real server on localhost (aiosmtpd, run by
//! `tests/support/smtp_sink.py`), and the bytes it received are taken apart and checked.
//! Needs python3 with the packages in `tests/requirements.txt` (tests/all.sh installs them);
//! without them these tests fail, they are not skipped.
use std::{
    collections::BTreeSet,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use teilhabe::{
    config::Settings,
    db::entities::outbox,
    domain::Email,
    mail::{self, Attachment, DeliveryReport, OutgoingMail},
    startup,
};

use crate::helpers::*;

const REQUIREMENTS_HINT: &str = "the SMTP tests need python3 with the packages in \
    tests/requirements.txt: python3 -m pip install -r tests/requirements.txt (tests/all.sh does this)";
/// Host of the test base URL, hence the domain of Message-IDs.
const MAIL_DOMAIN: &str = "teilhabe.test";
const WAIT: Duration = crate::helpers::PATIENCE;

// ---------------------------------------------------------------------------------------------
// The SMTP server
// ---------------------------------------------------------------------------------------------

/// `tests/support/smtp_sink.py` as a child process on a free port; killed on drop.
struct SmtpSink {
    port: u16,
    root: tempfile::TempDir,
    child: Option<Child>,
    /// Recipients at this domain are refused for good (`--reject-domain`).
    reject_domain: Option<&'static str>,
    /// Each message is confirmed only once the test releases it (`--hold`).
    hold: bool,
    /// Every message is refused at MAIL FROM with this reply (`--refuse-all`).
    refuse_all: Option<&'static str>,
}

impl SmtpSink {
    /// A server that accepts every message.
    fn start() -> Self {
        Self::launch(None, None, false, None)
    }

    /// A server that goes down after `n` messages (see `--accept` in the script).
    fn start_failing_after(n: usize) -> Self {
        Self::launch(Some(n), None, false, None)
    }

    /// A server that refuses every recipient at `domain` with 550, like an unknown mailbox.
    fn start_rejecting(domain: &'static str) -> Self {
        Self::launch(None, Some(domain), false, None)
    }

    /// A server that stores each message but confirms it only after [`Self::release`].
    fn start_holding() -> Self {
        Self::launch(None, None, true, None)
    }

    /// A server that refuses every message with `reply` (a login it does not take, a blocklisted
    /// host), until [`Self::stop`] and [`Self::restart`] with `refuse_all` taken away.
    fn start_refusing_all(reply: &'static str) -> Self {
        Self::launch(None, None, false, Some(reply))
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn launch(
        accept: Option<usize>,
        reject_domain: Option<&'static str>,
        hold: bool,
        refuse_all: Option<&'static str>,
    ) -> Self {
        let port = crate::helpers::unused_port();
        let mut sink = Self {
            port,
            root: tempfile::tempdir().expect("temp dir"),
            child: None,
            reject_domain,
            hold,
            refuse_all,
        };
        sink.spawn(accept);
        sink
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn message_dir(&self) -> PathBuf {
        self.root.path().join("messages")
    }

    fn log_path(&self) -> PathBuf {
        self.root.path().join("sink.log")
    }

    /// Starts the server (again, on the same port) and waits until it listens.
    fn restart(&mut self) {
        assert!(self.child.is_none(), "the SMTP sink is still running");
        self.spawn(None);
    }

    fn spawn(&mut self, accept: Option<usize>) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("sink log");
        let mut command = Command::new("python3");
        command
            .arg(&script)
            .arg(self.port.to_string())
            .arg(self.message_dir())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        if let Some(n) = accept {
            command.arg("--accept").arg(n.to_string());
        }
        if let Some(domain) = self.reject_domain {
            command.arg("--reject-domain").arg(domain);
        }
        if self.hold {
            command.arg("--hold");
        }
        if let Some(reply) = self.refuse_all {
            command.arg("--refuse-all").arg(reply);
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!("python3 not found: {REQUIREMENTS_HINT}")
            }
            Err(e) => panic!(
                "cannot start {}: {e}; {REQUIREMENTS_HINT}",
                script.display()
            ),
        };
        let stdout = child.stdout.take().expect("sink stdout");
        let (lines_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) if line.starts_with("ready ") => break,
                Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Output closed: the process is ending, `try_wait` below sees it shortly.
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(20))
                }
            }
            if let Some(status) = child.try_wait().expect("sink status") {
                panic!(
                    "the SMTP sink exited ({status}) before it was ready; {REQUIREMENTS_HINT}\n{}",
                    self.log()
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the SMTP sink did not get ready on port {} within 10 s\n{}",
                    self.port,
                    self.log()
                );
            }
        }
        self.child = Some(child);
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Waits until a server started with `start_failing_after` has gone down by itself.
    async fn wait_until_down(&mut self) {
        let child = self.child.as_mut().expect("the SMTP sink is not running");
        let deadline = Instant::now() + WAIT;
        while child.try_wait().expect("sink status").is_none() {
            assert!(
                Instant::now() < deadline,
                "the SMTP sink did not go down by itself"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.child = None;
    }

    /// Lets a server started with `start_holding` confirm its `n`-th message (from 1).
    fn release(&self, n: usize) {
        std::fs::write(self.message_dir().join(format!("release-{n}")), b"").expect("release file");
    }

    /// Every message stored so far, in arrival order.
    fn messages(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(self.message_dir()) else {
            return vec![];
        };
        let mut paths: Vec<PathBuf> = entries
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| Received::read(p)).collect()
    }

    /// Waits (bounded) until at least `n` messages arrived and returns all of them.
    async fn wait_for_messages(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + WAIT;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} messages arrived at the SMTP sink within {WAIT:?}\n{}",
                messages.len(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One message as the SMTP server received it.
struct Received {
    message: Part,
    mail_from: String,
    rcpt_to: Vec<String>,
}

impl Received {
    fn read(eml: &Path) -> Self {
        let raw = std::fs::read(eml).expect("message file");
        let raw = String::from_utf8(raw).expect("message is UTF-8");
        assert!(
            raw.split("\r\n").all(|line| !line.contains('\n')),
            "bare LF in {}",
            eml.display()
        );
        let envelope: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(eml.with_extension("json")).expect("envelope file"),
        )
        .expect("envelope JSON");
        Self {
            message: Part::parse(&raw),
            mail_from: envelope["mail_from"]
                .as_str()
                .expect("MAIL FROM")
                .to_owned(),
            rcpt_to: envelope["rcpt_tos"]
                .as_array()
                .expect("RCPT TO")
                .iter()
                .map(|v| v.as_str().expect("recipient").to_owned())
                .collect(),
        }
    }

    fn header(&self, name: &str) -> String {
        self.message.header(name)
    }
}

// ---------------------------------------------------------------------------------------------
// Just enough MIME (RFC 2045/2046/2047) to check what arrived
// ---------------------------------------------------------------------------------------------

/// A message or body part: unfolded headers and the still encoded body.
struct Part {
    headers: Vec<(String, String)>,
    body: String,
}

impl Part {
    fn parse(raw: &str) -> Self {
        let (head, body) = if let Some(body) = raw.strip_prefix("\r\n") {
            ("", body)
        } else {
            raw.split_once("\r\n\r\n")
                .unwrap_or_else(|| panic!("no end of header in {raw:?}"))
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n").filter(|l| !l.is_empty()) {
            if line.starts_with([' ', '\t']) {
                let (_, value) = headers.last_mut().expect("continuation line first");
                value.push_str(line);
            } else {
                let (name, value) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("bad header line {line:?}"));
                headers.push((name.to_owned(), value.trim_start().to_owned()));
            }
        }
        Self {
            headers,
            body: body.to_owned(),
        }
    }

    fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The one header `name`, decoded (RFC 2047); fails if it is missing or repeated.
    fn header(&self, name: &str) -> String {
        match self.headers_named(name)[..] {
            [value] => decode_words(value.trim()),
            ref other => panic!("{} '{name}' headers: {other:?}", other.len()),
        }
    }

    /// Lower-cased media type without parameters; text/plain when there is no Content-Type.
    fn mime_type(&self) -> String {
        match self.headers_named("Content-Type").first() {
            Some(value) => value.split(';').next().unwrap().trim().to_ascii_lowercase(),
            None => "text/plain".into(),
        }
    }

    /// A parameter of a structured header such as Content-Type or Content-Disposition.
    fn param(&self, header: &str, name: &str) -> Option<String> {
        let value = self.headers_named(header).first()?.to_string();
        params(&value)
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    fn children(&self) -> Vec<Part> {
        assert!(
            self.mime_type().starts_with("multipart/"),
            "not multipart: {}",
            self.mime_type()
        );
        let boundary = self
            .param("Content-Type", "boundary")
            .expect("multipart boundary");
        let body = format!("\r\n{}", self.body);
        let delimiter = format!("\r\n--{boundary}");
        let mut segments = body.split(&delimiter);
        segments.next(); // preamble
        let mut parts = Vec::new();
        for segment in segments {
            if segment.starts_with("--") {
                return parts; // close delimiter
            }
            let (padding, part) = segment.split_once("\r\n").expect("line end after boundary");
            assert!(
                padding.trim().is_empty(),
                "text after boundary: {padding:?}"
            );
            parts.push(Part::parse(part));
        }
        panic!("multipart without close delimiter")
    }

    /// The body with its Content-Transfer-Encoding undone.
    fn decoded(&self) -> Vec<u8> {
        let encoding = match self.headers_named("Content-Transfer-Encoding").first() {
            Some(e) => e.trim().to_ascii_lowercase(),
            None => "7bit".into(),
        };
        match encoding.as_str() {
            "base64" => base64(&self.body),
            "quoted-printable" => quoted_printable(&self.body, false),
            "7bit" | "8bit" | "binary" => self.body.clone().into_bytes(),
            other => panic!("unknown transfer encoding {other}"),
        }
    }

    /// The decoded body of a text part; the charset must be UTF-8 (or the text ASCII).
    fn text(&self) -> String {
        let charset = self
            .param("Content-Type", "charset")
            .unwrap_or_else(|| "us-ascii".into());
        let text = String::from_utf8(self.decoded()).expect("UTF-8 text");
        assert!(
            charset.eq_ignore_ascii_case("utf-8") || text.is_ascii(),
            "charset {charset} for non-ASCII text"
        );
        text
    }
}

/// `type/subtype; a=b; c="d e"` → [(a, b), (c, d e)].
fn params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = value.split_once(';').map(|(_, r)| r).unwrap_or("");
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        let Some((name, after)) = rest.split_once('=') else {
            return out;
        };
        let name = name.trim().to_owned();
        let after = after.trim_start();
        let (val, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut val = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => val.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => val.push(c),
                }
            }
            (val, &quoted[end..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        out.push((name, val));
        rest = remaining;
    }
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between two
/// encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while !rest.is_empty() {
        let next_word = rest.find("=?");
        let gap = &rest[..next_word.unwrap_or(rest.len())];
        let Some(start) = next_word else {
            out.push_str(gap);
            break;
        };
        if !(after_word && gap.trim().is_empty()) {
            out.push_str(gap);
        }
        let word = &rest[start + 2..];
        let mut fields = word.splitn(3, '?');
        let (Some(charset), Some(encoding), Some(tail)) =
            (fields.next(), fields.next(), fields.next())
        else {
            panic!("broken encoded word in {value:?}");
        };
        let end = tail
            .find("?=")
            .unwrap_or_else(|| panic!("unterminated encoded word in {value:?}"));
        assert!(
            charset.eq_ignore_ascii_case("utf-8"),
            "charset {charset} in {value:?}"
        );
        let bytes = match encoding {
            "b" | "B" => base64(&tail[..end]),
            "q" | "Q" => quoted_printable(&tail[..end], true),
            other => panic!("encoding {other} in {value:?}"),
        };
        out.push_str(&String::from_utf8(bytes).expect("UTF-8 in encoded word"));
        rest = &tail[end + 2..];
        after_word = true;
    }
    out
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let value = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("invalid base64 character {:?}", c as char));
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

/// Quoted-printable (RFC 2045 6.7); `header` selects the RFC 2047 "Q" variant (`_` is a space).
fn quoted_printable(text: &str, header: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                i += 3;
            }
            b'_' if header => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Databases without the application's own mail worker
// ---------------------------------------------------------------------------------------------

/// A migrated database and settings that send mail to `smtp_url`. Unlike `spawn_app` nothing
/// runs in the background, so every delivery attempt is one this test makes.
struct MailDb {
    db: DatabaseConnection,
    settings: Settings,
    _data_dir: tempfile::TempDir,
    _postgres: Option<TestPostgres>,
}

impl MailDb {
    /// None for PostgreSQL when no server is reachable (see `TestPostgres::create`).
    async fn create(backend: Backend, smtp_url: String) -> Option<Self> {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TestPostgres::create().await?),
        };
        let settings = settings_for(
            data_dir.path(),
            postgres.as_ref().map(|p| p.url.as_str()),
            &Options {
                demo: false,
                env: vec![("TEILHABE_SMTP_URL", smtp_url)],
            },
        );
        let db = startup::prepare_database(&settings)
            .await
            .expect("database");
        Some(Self {
            db,
            settings,
            _data_dir: data_dir,
            _postgres: postgres,
        })
    }

    /// The sender the application builds from its settings: SMTP here.
    fn sender(&self) -> mail::Sender {
        let sender = startup::mail_sender(&self.settings).expect("mail sender");
        assert!(matches!(sender.transport, mail::MailTransport::Smtp(_)));
        sender
    }

    async fn deliver(&self, sender: &mail::Sender) -> DeliveryReport {
        sender.deliver_due(&self.db).await.expect("deliver_due")
    }

    async fn rows(&self) -> Vec<outbox::Model> {
        outbox_rows(&self.db).await
    }

    /// Makes every unsent message due now, as if its retry time had come.
    async fn make_due(&self) {
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::NextAttemptAt,
                Expr::value(Utc::now() - chrono::Duration::seconds(1)),
            )
            .filter(outbox::Column::SentAt.is_null())
            .exec(&self.db)
            .await
            .expect("make due");
    }
}

async fn outbox_rows(db: &DatabaseConnection) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await
        .expect("outbox rows")
}

fn plain_mail(to: &str, subject: &str) -> OutgoingMail {
    OutgoingMail {
        to: Email::parse(to).expect("address"),
        subject: subject.to_owned(),
        text: format!("{subject}\r\nText für {to}.\r\n"),
        html: format!("<!doctype html><html lang=\"de\"><body><p>{subject}</p></body></html>"),
        attachment: None,
    }
}

fn message_id_of(row: &outbox::Model) -> String {
    format!("<{}@{MAIL_DOMAIN}>", row.message_id)
}

/// Checks the parts of a `multipart/alternative` body and returns (text, html).
fn alternative_texts(part: &Part) -> (String, String) {
    assert_eq!(part.mime_type(), "multipart/alternative");
    let children = part.children();
    let types: Vec<String> = children.iter().map(Part::mime_type).collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    for child in &children {
        assert!(
            child
                .param("Content-Type", "charset")
                .is_some_and(|c| c.eq_ignore_ascii_case("utf-8")),
            "{} without charset=utf-8",
            child.mime_type()
        );
    }
    (children[0].text(), children[1].text())
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

const REGISTERED: &str = "neu.smtp@example.de";

/// Registration queues the confirmation mail; the application's SMTP setting delivers it.
async fn check_registration_mail(backend: Backend) {
    let sink = SmtpSink::start();
    let Some(app) = spawn_app(
        backend,
        Options {
            demo: false,
            env: vec![("TEILHABE_SMTP_URL", sink.url())],
        },
    )
    .await
    else {
        return;
    };
    let res = app
        .submit(
            "/registrieren",
            "/registrieren",
            &[
                ("name", "Neu Person"),
                ("email", REGISTERED),
                ("password", "grüne Wiese am Hainich"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/registrieren/gesendet");

    // The application's worker uses the same SMTP server (it looks only hourly in the tests); had
    // it been first, the claim in `deliver_due` would let exactly one of them send the mail.
    let sender = startup::mail_sender(&app.settings).expect("mail sender");
    assert!(matches!(sender.transport, mail::MailTransport::Smtp(_)));
    sender.deliver_due(&app.db).await.expect("deliver_due");
    let messages = sink.wait_for_messages(1).await;
    assert_eq!(messages.len(), 1, "exactly one message arrives");
    let deadline = Instant::now() + WAIT;
    let row = loop {
        let rows = outbox_rows(&app.db).await;
        assert_eq!(rows.len(), 1, "one mail queued");
        if rows[0].sent_at.is_some() {
            break rows.into_iter().next().unwrap();
        }
        assert!(Instant::now() < deadline, "the mail is not marked as sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(row.attempts, 1);
    assert_eq!(row.last_error, None);

    let mail = &messages[0];
    assert_eq!(mail.rcpt_to, [REGISTERED]);
    assert_eq!(mail.mail_from, "noreply@teilhabe.example");
    assert_eq!(mail.header("To"), REGISTERED);
    assert_eq!(
        mail.header("From"),
        "Teilhabe Thüringen <noreply@teilhabe.example>"
    );
    assert_eq!(
        mail.header("Subject"),
        "Bitte bestätigen Sie Ihre E-Mail-Adresse"
    );
    let message_id = mail.header("Message-ID");
    assert_eq!(message_id, message_id_of(&row));
    assert!(message_id.ends_with("@teilhabe.test>"), "{message_id}");
    assert_eq!(mail.header("MIME-Version"), "1.0");
    assert!(!mail.header("Date").is_empty());

    let (text, html) = alternative_texts(&mail.message);
    let link = "http://teilhabe.test/konto/bestaetigen?token=";
    assert!(text.contains(link), "{text}");
    assert!(text.contains("Thüringen"), "{text}");
    assert!(html.contains("Thüringen"), "{html}");
    // Tera escapes the link in the attribute (`&#x2F;`); what counts is what the client reads.
    let doc = scraper::Html::parse_document(&html);
    let hrefs: Vec<&str> = select(&doc, "a[href]")
        .iter()
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(
        hrefs.iter().any(|h| h.starts_with(link)),
        "{hrefs:?} in {html}"
    );

    // Delivered is delivered: nothing more goes out.
    let again = sender.deliver_due(&app.db).await.expect("deliver_due");
    assert_eq!(again, DeliveryReport::default());
    assert_eq!(sink.messages().len(), 1);
}

mod registration_mail_is_delivered_over_smtp {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        check_registration_mail(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        check_registration_mail(Backend::Postgres).await;
    }
}

const ICS: &str = "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Teilhabe Thüringen//Test//DE\r\n\
METHOD:PUBLISH\r\n\
BEGIN:VEVENT\r\n\
UID:kurs-42@teilhabe.test\r\n\
DTSTAMP:20261129T080000Z\r\n\
DTSTART:20261205T140000Z\r\n\
SUMMARY:Töpfern für alle\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_attachment_arrives_intact() {
    let sink = SmtpSink::start();
    let app = MailDb::create(Backend::Sqlite, sink.url()).await.unwrap();
    let text = "Guten Tag,\r\nIhr Platz im Kurs „Töpfern für alle“ ist gebucht.\r\n";
    let html = "<!doctype html><html lang=\"de\"><body><p>Ihr Platz im Kurs „Töpfern für alle“ ist gebucht.</p></body></html>";
    mail::enqueue(
        &app.db,
        OutgoingMail {
            to: Email::parse("kurs@example.de").unwrap(),
            subject: "Buchung bestätigt: Töpfern für alle".into(),
            text: text.into(),
            html: html.into(),
            attachment: Some(Attachment {
                file_name: "kurs.ics".into(),
                content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
                body: ICS.into(),
            }),
        },
    )
    .await
    .unwrap();

    let sender = app.sender();
    assert_eq!(
        app.deliver(&sender).await,
        DeliveryReport { sent: 1, failed: 0 }
    );
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let mail = &messages[0];
    assert_eq!(mail.rcpt_to, ["kurs@example.de"]);
    assert_eq!(
        mail.header("Subject"),
        "Buchung bestätigt: Töpfern für alle"
    );
    assert_eq!(
        mail.header("Message-ID"),
        message_id_of(&app.rows().await[0])
    );

    assert_eq!(mail.message.mime_type(), "multipart/mixed");
    let parts = mail.message.children();
    assert_eq!(parts.len(), 2, "the text and the attachment");
    let (got_text, got_html) = alternative_texts(&parts[0]);
    assert_eq!(got_text, text);
    assert_eq!(got_html, html);

    let ics = &parts[1];
    assert_eq!(ics.mime_type(), "text/calendar");
    let param = |header: &str, name: &str| ics.param(header, name).unwrap_or_default();
    assert!(param("Content-Type", "charset").eq_ignore_ascii_case("utf-8"));
    assert!(
        param("Content-Type", "method").eq_ignore_ascii_case("PUBLISH"),
        "{:?}",
        ics.headers_named("Content-Type")
    );
    let disposition = ics.headers_named("Content-Disposition");
    assert!(
        disposition.first().is_some_and(|d| d
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("attachment")),
        "{disposition:?}"
    );
    assert_eq!(param("Content-Disposition", "filename"), "kurs.ics");
    assert_eq!(
        ics.text(),
        ICS,
        "the calendar file decodes back identically"
    );
}

/// The server accepts one message and goes down; the rest wait in the outbox, fail again while
/// it is down, and all arrive exactly once when it is back.
async fn check_smtp_outage(backend: Backend) {
    let mut sink = SmtpSink::start_failing_after(1);
    let Some(app) = MailDb::create(backend, sink.url()).await else {
        return;
    };
    let recipients = ["eins@example.de", "zwei@example.de", "drei@example.de"];
    for (i, to) in recipients.iter().enumerate() {
        mail::enqueue(
            &app.db,
            plain_mail(to, &format!("Nachricht {} – Grüße", i + 1)),
        )
        .await
        .unwrap();
    }
    let sender = app.sender();
    let queued_texts: Vec<String> = app.rows().await.into_iter().map(|r| r.body_text).collect();

    // Down mid-way: the first mail goes out, the server goes away.
    let before = Utc::now();
    let report = app.deliver(&sender).await;
    let after = Utc::now();
    assert_eq!(report, DeliveryReport { sent: 1, failed: 2 });
    sink.wait_until_down().await;
    assert_eq!(sink.messages().len(), 1);
    let rows = app.rows().await;
    assert!(rows[0].sent_at.is_some());
    let mut first_waits = Vec::new();
    for row in &rows[1..] {
        assert_eq!(row.sent_at, None, "{}", row.recipient);
        assert_eq!(row.attempts, 1, "{}", row.recipient);
        let error = row.last_error.as_deref().unwrap_or_default();
        assert!(!error.is_empty(), "last_error of {}", row.recipient);
        assert!(row.next_attempt_at > after, "retry is in the future");
        first_waits.push(row.next_attempt_at - before);
    }
    // Not due yet: nothing is attempted.
    assert_eq!(app.deliver(&sender).await, DeliveryReport::default());

    // Still down when the retry comes: another failure, and a longer wait.
    app.make_due().await;
    let after = Utc::now();
    assert_eq!(
        app.deliver(&sender).await,
        DeliveryReport { sent: 0, failed: 2 }
    );
    let rows = app.rows().await;
    for (row, first_wait) in rows[1..].iter().zip(&first_waits) {
        assert_eq!(row.sent_at, None);
        assert_eq!(row.attempts, 2);
        assert!(row.last_error.as_deref().is_some_and(|e| !e.is_empty()));
        assert!(
            row.next_attempt_at - after > *first_wait,
            "the wait grows: {} after {first_wait}",
            row.next_attempt_at - after
        );
    }

    // Back up, on the same port: the rest arrives.
    sink.restart();
    app.make_due().await;
    assert_eq!(
        app.deliver(&sender).await,
        DeliveryReport { sent: 2, failed: 0 }
    );
    assert_eq!(app.deliver(&sender).await, DeliveryReport::default());

    let rows = app.rows().await;
    let attempts: Vec<i32> = rows.iter().map(|r| r.attempts).collect();
    assert_eq!(attempts, [1, 3, 3]);
    for row in &rows {
        assert!(row.sent_at.is_some(), "{} is sent", row.recipient);
        assert_eq!(row.last_error, None, "{}", row.recipient);
    }
    let messages = sink.messages();
    assert_eq!(messages.len(), 3, "every mail arrives exactly once");
    let ids: BTreeSet<String> = messages.iter().map(|m| m.header("Message-ID")).collect();
    let expected: BTreeSet<String> = rows.iter().map(message_id_of).collect();
    assert_eq!(ids, expected, "distinct Message-IDs, one per queued mail");
    for (row, queued_text) in rows.iter().zip(&queued_texts) {
        let mail = messages
            .iter()
            .find(|m| m.header("Message-ID") == message_id_of(row))
            .unwrap();
        assert_eq!(mail.rcpt_to, [row.recipient.as_str()]);
        assert_eq!(mail.header("To"), row.recipient);
        assert_eq!(mail.header("Subject"), row.subject);
        let (text, _) = alternative_texts(&mail.message);
        assert_eq!(&text, queued_text);
        // Delivered, the text is not kept: it may hold links.
        assert_eq!((row.body_text.as_str(), row.body_html.as_str()), ("", ""));
    }
}

mod smtp_outage_loses_and_duplicates_nothing {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        check_smtp_outage(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        check_smtp_outage(Backend::Postgres).await;
    }
}

/// A server that refuses a recipient for good (550): the message is tried a few times, then given
/// up (dead letter) and never tried again, once the server has taken a mail queued after it; the
/// reply is kept with the address masked; the other messages are not held up.
async fn check_permanent_refusal(backend: Backend) {
    let sink = SmtpSink::start_rejecting("unbekannt.example");
    let Some(app) = MailDb::create(backend, sink.url()).await else {
        return;
    };
    mail::enqueue(
        &app.db,
        plain_mail("tippfehler@unbekannt.example", "Ihre Buchung"),
    )
    .await
    .unwrap();
    mail::enqueue(&app.db, plain_mail("richtig@example.de", "Ihre Buchung"))
        .await
        .unwrap();
    let sender = app.sender();
    assert_eq!(
        app.deliver(&sender).await,
        DeliveryReport { sent: 1, failed: 1 }
    );
    for attempt in 1..mail::PERMANENT_REFUSALS {
        let refused = &app.rows().await[0];
        assert_eq!(refused.attempts, attempt);
        assert_eq!(refused.failed_at, None, "not given up after {attempt}");
        app.make_due().await;
        assert_eq!(
            app.deliver(&sender).await,
            DeliveryReport { sent: 0, failed: 1 }
        );
    }
    let refused = &app.rows().await[0];
    assert_eq!(refused.attempts, mail::PERMANENT_REFUSALS);
    assert!(refused.failed_at.is_some(), "given up");
    assert_eq!(refused.sent_at, None);
    let reason = refused.last_error.as_deref().unwrap_or_default();
    assert!(reason.contains("550"), "{reason}");
    assert!(reason.contains("t…@unbekannt.example"), "{reason}");
    assert!(!reason.contains("tippfehler"), "address masked: {reason}");

    // Never tried again, however long one waits.
    app.make_due().await;
    assert_eq!(app.deliver(&sender).await, DeliveryReport::default());
    assert_eq!(app.rows().await[0].attempts, mail::PERMANENT_REFUSALS);
    assert_eq!(
        sink.messages().len(),
        1,
        "only the good address received mail"
    );

    // A refused mail queued after the last one the server took: as far as the portal can tell, the
    // server may refuse every mail now, so it is kept and tried again, but staff see it already.
    mail::enqueue(
        &app.db,
        plain_mail("anderer@unbekannt.example", "Ihre Buchung"),
    )
    .await
    .unwrap();
    for _ in 0..mail::PERMANENT_REFUSALS {
        app.make_due().await;
        assert_eq!(
            app.deliver(&sender).await,
            DeliveryReport { sent: 0, failed: 1 }
        );
    }
    let kept = app.rows().await[2].clone();
    assert_eq!(kept.recipient, "anderer@unbekannt.example");
    assert_eq!(
        (kept.attempts, kept.failed_at),
        (mail::PERMANENT_REFUSALS, None)
    );
    let listed = teilhabe::services::undeliverable_mail::list(&app.db, 10)
        .await
        .unwrap();
    assert!(
        listed
            .iter()
            .any(|m| m.id == kept.id && m.failed_at.is_none()),
        "staff see it while it is still tried"
    );
    // The server takes a mail queued after it: the next refusal is about this one.
    mail::enqueue(&app.db, plain_mail("neu@example.de", "Ihre Buchung"))
        .await
        .unwrap();
    assert_eq!(
        app.deliver(&sender).await,
        DeliveryReport { sent: 1, failed: 0 }
    );
    app.make_due().await;
    assert_eq!(
        app.deliver(&sender).await,
        DeliveryReport { sent: 0, failed: 1 }
    );
    let given_up = app.rows().await[2].clone();
    assert!(given_up.failed_at.is_some(), "given up now");
    assert_eq!(given_up.attempts, mail::PERMANENT_REFUSALS + 1);

    // Sent again (staff's "send again"): mail the server took before does not count any more.
    mail::requeued(outbox::Entity::update_many())
        .filter(outbox::Column::Id.eq(given_up.id))
        .exec(&app.db)
        .await
        .unwrap();
    for _ in 0..mail::PERMANENT_REFUSALS + 1 {
        app.make_due().await;
        assert_eq!(
            app.deliver(&sender).await,
            DeliveryReport { sent: 0, failed: 1 }
        );
    }
    assert_eq!(
        app.rows().await[2].failed_at,
        None,
        "kept: nothing went through since"
    );
}

/// A server that refuses every mail: no mail is given up however often it is refused, and once the
/// server accepts again every mail arrives. A refusal that can only be about the portal (its login)
/// ends the delivery round at once instead of trying every mail in vain; one worded like a
/// recipient's (a blocklisted host, 554 5.7.1) is kept because the server takes no other mail.
async fn check_refusal_of_every_mail(backend: Backend) {
    for (reply, tried_per_round) in [
        ("535 5.7.8 Authentication credentials invalid", 1),
        (
            "554 5.7.1 Service unavailable; client host [127.0.0.1] blocked using a blocklist",
            2,
        ),
    ] {
        let mut sink = SmtpSink::start_refusing_all(reply);
        let Some(app) = MailDb::create(backend, sink.url()).await else {
            return;
        };
        for to in ["eins@example.de", "zwei@example.de"] {
            mail::enqueue(&app.db, plain_mail(to, "Ihre Buchung"))
                .await
                .unwrap();
        }
        let sender = app.sender();
        let rounds = mail::PERMANENT_REFUSALS + 2;
        for round in 1..=rounds {
            app.make_due().await;
            assert_eq!(
                app.deliver(&sender).await,
                DeliveryReport {
                    sent: 0,
                    failed: tried_per_round
                },
                "{reply}, round {round}"
            );
        }
        // Nothing else is tried before the pause is over: each try would be one more refused
        // login.
        assert_eq!(
            app.deliver(&sender).await,
            DeliveryReport::default(),
            "{reply}"
        );
        let rows = app.rows().await;
        assert!(
            rows.iter().all(|r| r.next_attempt_at > Utc::now()),
            "{reply}: every mail waits"
        );
        let attempts: Vec<i32> = rows.iter().map(|r| r.attempts).collect();
        let expected = if tried_per_round == 1 {
            [rounds, 0]
        } else {
            [rounds, rounds]
        };
        assert_eq!(attempts, expected, "{reply}");
        for row in &rows {
            assert_eq!(
                row.failed_at, None,
                "{reply}: {} is not given up",
                row.recipient
            );
            assert_eq!(row.sent_at, None);
        }
        let reason = rows[0].last_error.as_deref().unwrap_or_default();
        assert!(reason.contains(&reply[..3]), "{reason}");
        assert!(sink.messages().is_empty());

        sink.stop();
        sink.refuse_all = None;
        sink.restart();
        app.make_due().await;
        assert_eq!(
            app.deliver(&sender).await,
            DeliveryReport { sent: 2, failed: 0 },
            "{reply}"
        );
        assert_eq!(sink.messages().len(), 2, "{reply}: every mail arrives");
    }
}

mod a_server_refusing_every_mail_loses_none {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        check_refusal_of_every_mail(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        check_refusal_of_every_mail(Backend::Postgres).await;
    }
}

mod permanent_refusals_end_as_undeliverable {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        check_permanent_refusal(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        check_permanent_refusal(Backend::Postgres).await;
    }
}

/// A mail deleted while the server receives it (account deletion, the retention clean-up) is not
/// written back, and the rest of the batch still goes out in the same round.
async fn check_mail_deleted_while_sent(backend: Backend) {
    let sink = SmtpSink::start_holding();
    let Some(app) = MailDb::create(backend, sink.url()).await else {
        return;
    };
    for to in ["geloescht@example.de", "bleibt@example.de"] {
        mail::enqueue(&app.db, plain_mail(to, "Ihre Buchung"))
            .await
            .unwrap();
    }
    let first = app.rows().await[0].id;
    let sender = app.sender();
    let delivery = async {
        sender
            .deliver_due(&app.db)
            .await
            .expect("the batch goes on")
    };
    let delete_then_release = async {
        sink.wait_for_messages(1).await;
        outbox::Entity::delete_by_id(first)
            .exec(&app.db)
            .await
            .expect("delete");
        sink.release(1);
        sink.wait_for_messages(2).await;
        sink.release(2);
    };
    let (report, ()) = tokio::join!(delivery, delete_then_release);
    assert_eq!(report, DeliveryReport { sent: 2, failed: 0 });
    let rows = app.rows().await;
    assert_eq!(rows.len(), 1, "the deleted mail stays deleted");
    assert_eq!(rows[0].recipient, "bleibt@example.de");
    assert!(rows[0].sent_at.is_some(), "the second mail is marked sent");
}

mod a_mail_deleted_while_sent_does_not_stop_the_batch {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        check_mail_deleted_while_sent(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        check_mail_deleted_while_sent(Backend::Postgres).await;
    }
}

/// Staff correct the address while the old one's delivery is under way: that outcome belongs to the
/// old address, so the mail stays due and goes to the new one next.
async fn check_mail_readdressed_while_sent(backend: Backend) {
    let sink = SmtpSink::start_holding();
    let Some(app) = MailDb::create(backend, sink.url()).await else {
        return;
    };
    mail::enqueue(&app.db, plain_mail("alt@example.de", "Ihre Buchung"))
        .await
        .unwrap();
    let id = app.rows().await[0].id;
    let sender = app.sender();
    let delivery = async { sender.deliver_due(&app.db).await.expect("delivered") };
    let readdress_then_release = async {
        sink.wait_for_messages(1).await;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Recipient, Expr::value("neu@example.de"))
            .col_expr(
                outbox::Column::NextAttemptAt,
                Expr::value(chrono::Utc::now()),
            )
            .filter(outbox::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .expect("readdress");
        sink.release(1);
    };
    tokio::join!(delivery, readdress_then_release);
    let row = &app.rows().await[0];
    assert_eq!(row.recipient, "neu@example.de");
    assert!(row.sent_at.is_none(), "not sent to the new address yet");

    let again = async { sender.deliver_due(&app.db).await.expect("delivered") };
    let release = async {
        sink.wait_for_messages(2).await;
        sink.release(2);
    };
    let (report, ()) = tokio::join!(again, release);
    assert_eq!(report, DeliveryReport { sent: 1, failed: 0 });
    assert!(app.rows().await[0].sent_at.is_some());
}

mod a_mail_readdressed_while_sent_goes_to_the_new_address {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        check_mail_readdressed_while_sent(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        check_mail_readdressed_while_sent(Backend::Postgres).await;
    }
}

/// Makes the next write of `sent_at` on the outbox fail once, as a failover, a full pool or a busy
/// SQLite file would; later writes go through.
async fn fail_the_next_sent_mark(db: &DatabaseConnection, backend: Backend) {
    use sea_orm::ConnectionTrait;
    let statements: &[&str] = match backend {
        // RAISE(FAIL) keeps what the trigger did before it, so the mark of the failure stays.
        Backend::Sqlite => &[
            "CREATE TABLE injected_failures (n INTEGER)",
            "CREATE TRIGGER fail_sent_mark_once BEFORE UPDATE OF sent_at ON outbox
             WHEN NEW.sent_at IS NOT NULL AND (SELECT count(*) FROM injected_failures) = 0
             BEGIN
               INSERT INTO injected_failures VALUES (1);
               SELECT RAISE(FAIL, 'injected failure of the sent mark');
             END",
        ],
        // A sequence is not rolled back with the failed statement.
        Backend::Postgres => &[
            "CREATE SEQUENCE injected_failures",
            "CREATE FUNCTION fail_sent_mark_once() RETURNS trigger AS $$
             BEGIN
               IF NEW.sent_at IS NOT NULL AND nextval('injected_failures') = 1 THEN
                 RAISE EXCEPTION 'injected failure of the sent mark';
               END IF;
               RETURN NEW;
             END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER fail_sent_mark_once BEFORE UPDATE OF sent_at ON outbox
             FOR EACH ROW EXECUTE FUNCTION fail_sent_mark_once()",
        ],
    };
    for statement in statements {
        db.execute_unprepared(statement)
            .await
            .expect("inject the failure");
    }
}

/// The server accepted a mail, but marking it as sent failed once: the mark is written again, so
/// the mail does not go out a second time when its claim runs out.
async fn check_sent_mark_retried(backend: Backend) {
    let sink = SmtpSink::start();
    let Some(app) = MailDb::create(backend, sink.url()).await else {
        return;
    };
    mail::enqueue(&app.db, plain_mail("einmal@example.de", "Ihre Buchung"))
        .await
        .unwrap();
    fail_the_next_sent_mark(&app.db, backend).await;
    let sender = app.sender();
    let first = sender.deliver_due(&app.db).await;
    sink.wait_for_messages(1).await;
    // As when the claim has run out.
    app.make_due().await;
    let second = sender.deliver_due(&app.db).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "the mail went out once ({first:?}, then {second:?})"
    );
    let rows = app.rows().await;
    assert!(rows[0].sent_at.is_some(), "marked as sent");
    assert_eq!(rows[0].attempts, 1);
}

mod a_mail_is_not_sent_again_when_its_sent_mark_fails_once {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        check_sent_mark_retried(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        check_sent_mark_retried(Backend::Postgres).await;
    }
}
