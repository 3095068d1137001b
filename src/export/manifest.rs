//! `manifest.json` (what the export holds, with a SHA-256 of every file) and `dataset.jsonld`
//! (DCAT-AP.de metadata, so the aggregated files can go to an open-data portal as they are).
use std::{
    fs::File,
    io::{BufWriter, Read, Write},
    path::Path,
};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{ExportFormat, ExportRequest, FileSummary, SCHEMA_VERSION, datasets};

pub const MANIFEST_FILE: &str = "manifest.json";
pub const DATASET_FILE: &str = "dataset.jsonld";

/// Size and SHA-256 of a finished file, read in chunks.
pub fn describe(path: &Path, rows: Option<u64>, aggregated: bool) -> std::io::Result<FileSummary> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    Ok(FileSummary {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        rows,
        bytes,
        sha256: hex::encode(hasher.finalize()),
        aggregated,
    })
}

fn write_json(path: &Path, value: &Value) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

pub fn write_manifest(
    dir: &Path,
    request: &ExportRequest,
    files: &[FileSummary],
    generated_at: DateTime<Utc>,
) -> std::io::Result<FileSummary> {
    let value = json!({
        "schema_version": SCHEMA_VERSION,
        "generator": format!("teilhabe {}", env!("CARGO_PKG_VERSION")),
        "generated_at": generated_at.to_rfc3339(),
        "period": {
            "from": request.period.from().to_string(),
            "to": request.period.to().to_string(),
            "time_zone": "Europe/Berlin",
        },
        "format": request.format.as_str(),
        "csv_byte_order_mark": request.bom && request.format == ExportFormat::Csv,
        "suppression": {
            "minimum_group": datasets::MIN_GROUP,
            "rule": "counts of 1 to 4 and averages over fewer than 5 forms are left empty (null in JSON); so are further cells of the same sum (and booked places with few bookings) wherever a hidden count could otherwise be worked out",
        },
        "files": files,
    });
    let path = dir.join(MANIFEST_FILE);
    write_json(&path, &value)?;
    describe(&path, None, false)
}

/// EU vocabulary for file types, as DCAT-AP.de asks for `dct:format`.
fn file_type(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "http://publications.europa.eu/resource/authority/file-type/CSV",
        ExportFormat::Json => "http://publications.europa.eu/resource/authority/file-type/JSON",
        ExportFormat::Xlsx => "http://publications.europa.eu/resource/authority/file-type/XLSX",
    }
}

const LICENSE: &str = "http://dcat-ap.de/def/licenses/dl-by-de/2.0";

/// Describes the aggregated files as one dataset; the other files are for the ministry only.
pub fn write_dataset_jsonld(
    dir: &Path,
    request: &ExportRequest,
    files: &[FileSummary],
    generated_at: DateTime<Utc>,
) -> std::io::Result<FileSummary> {
    let distributions: Vec<Value> = files
        .iter()
        .filter(|f| f.aggregated)
        .map(|f| {
            let title = datasets::DATASETS
                .iter()
                .find(|d| f.name.starts_with(d.name))
                .map_or(f.name.as_str(), |d| d.title);
            json!({
                "@type": "dcat:Distribution",
                "dct:title": title,
                "dcat:accessURL": { "@id": f.name },
                "dcat:downloadURL": { "@id": f.name },
                "dct:format": { "@id": file_type(request.format) },
                "dcat:mediaType": request.format.media_type(),
                "dcat:byteSize": { "@value": f.bytes.to_string(), "@type": "xsd:nonNegativeInteger" },
                "spdx:checksum": {
                    "@type": "spdx:Checksum",
                    "spdx:algorithm": { "@id": "spdx:checksumAlgorithm_sha256" },
                    "spdx:checksumValue": f.sha256,
                },
                "dct:license": { "@id": LICENSE },
                "dcatap:availability": { "@id": "http://data.europa.eu/r5r/availability/stable" },
            })
        })
        .collect();
    let value = json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "dcatde": "http://dcat-ap.de/def/dcatde/",
            "dcatap": "http://data.europa.eu/r5r/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "spdx": "http://spdx.org/rdf/terms#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@type": "dcat:Dataset",
        "dct:identifier": format!(
            "teilhabe-thueringen-statistik-{}-{}",
            request.period.from(),
            request.period.to()
        ),
        "dct:title": { "@value": format!(
            "Digitale Teilhabe Thüringen: Kennzahlen je Kreis und Monat ({} bis {})",
            request.period.from().format("%d.%m.%Y"),
            request.period.to().format("%d.%m.%Y")
        ), "@language": "de" },
        "dct:description": { "@value": "Termine, Buchungen, Anwesenheit, Vorschläge und Rückmeldungen \
            des Programms für digitale Teilhabe in Thüringen, je Kreis und Monat zusammengefasst, mit dem \
            Weg, auf dem sie kamen (online, mit Unterstützung durch Personal, am Kiosk). Zahlen von 1 bis 4 \
            und Durchschnitte über weniger als 5 Bögen sind zum Schutz der Beteiligten nicht angegeben \
            (leere Zelle, in JSON null).", "@language": "de" },
        "dcat:keyword": ["Digitale Teilhabe", "Bürgerbeteiligung", "Digitalkompetenz", "Thüringen", "Smart State"],
        "dcat:theme": [
            { "@id": "http://publications.europa.eu/resource/authority/data-theme/SOCI" },
            { "@id": "http://publications.europa.eu/resource/authority/data-theme/GOVE" },
        ],
        "dct:publisher": {
            "@type": "foaf:Organization",
            "foaf:name": "Thüringer Ministerium für Digitales und Infrastruktur (TMDI)",
        },
        "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": { "@value": request.period.from().to_string(), "@type": "xsd:date" },
            "dcat:endDate": { "@value": request.period.to().to_string(), "@type": "xsd:date" },
        },
        "dct:spatial": { "@id": "http://dcat-ap.de/def/politicalGeocoding/stateKey/16" },
        "dcatde:politicalGeocodingLevelURI": { "@id": "http://dcat-ap.de/def/politicalGeocodingLevel/state" },
        "dcatde:politicalGeocodingURI": { "@id": "http://dcat-ap.de/def/politicalGeocoding/stateKey/16" },
        "dct:accrualPeriodicity": { "@id": "http://publications.europa.eu/resource/authority/frequency/IRREG" },
        "dct:issued": { "@value": generated_at.to_rfc3339(), "@type": "xsd:dateTime" },
        "dct:modified": { "@value": generated_at.to_rfc3339(), "@type": "xsd:dateTime" },
        "dcat:distribution": distributions,
    });
    let path = dir.join(DATASET_FILE);
    write_json(&path, &value)?;
    describe(&path, None, false)
}
