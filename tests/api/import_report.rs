//! `teilhabe import proposals` reports what an operator can check (issue 15, item 7): the lines of
//! a file saved with Windows line ends, and how many proposals became searchable (not how many
//! index updates were queued).
use crate::helpers::{import_succeeds, teilhabe_command};

const HEADER: &str = "title,text,category,district,status,official_answer,supports,created";
const GOOD: &str = "Funkloch an der B4 schließen,Zwischen Straußfurt und Greußen bricht jedes Telefonat ab.,internet-mobilfunk,Sömmerda,veroeffentlicht,,12,2026-03-01";
const SUBMITTED: &str = "WLAN im Rathaus Gotha bitte,Im Wartebereich gibt es kein offenes WLAN für die Bürgerinnen.,internet-mobilfunk,16067,eingereicht,,0,2026-03-01";
const BAD: &str = "Hi,zu kurz,internet-mobilfunk,16068,veroeffentlicht,,3,2026-03-01";
const SECOND: &str = "Mehr Bänke am Stausee Hohenfelden,Am Ufer fehlen Sitzplätze für ältere Besucher.,sonstiges,16071,in-pruefung,,2,2026-03-02";

#[test]
fn errors_name_the_line_of_a_windows_file_and_only_searchable_proposals_count() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("excel.csv");
    // Saved by a spreadsheet program: CRLF line ends; the bad row is on line 4.
    std::fs::write(
        &csv,
        [HEADER, GOOD, SUBMITTED, BAD, SECOND, ""].join("\r\n"),
    )
    .unwrap();
    let out = teilhabe_command(dir.path())
        .args(["import", "proposals", "--file"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 4, field 'title'"), "{stderr}");
    assert!(!stderr.contains("line 3"), "{stderr}");

    let (stdout, stderr) = import_succeeds(dir.path(), &["--skip-invalid"], &csv);
    // Three stored, of which the submitted one is not public: two are searchable.
    assert!(
        stdout.contains("3 proposals imported, 1 invalid rows skipped, 2 made searchable"),
        "{stdout}"
    );
    assert!(
        stderr.contains("line 4"),
        "the skipped row is named by its line"
    );
}
