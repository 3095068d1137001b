//! Exports asked for in the back office run as jobs (see `services::export_jobs`).

stored_vocabulary!(
    /// Where an export job stands: waiting for a worker, being produced, or over.
    ExportJobStatus, "error-status-invalid", {
        Queued => "queued",
        Running => "running",
        Done => "done",
        Failed => "failed",
    }
);
