//! `process-google-sheets-requests`: every minute from 10:00 to 02:59 UTC, as the original's
//! beat schedule (minute `*`, hours `10-2`).

use super::service;
use crate::jobs::JobDef;

pub const NAME: &str = "process-google-sheets-requests";

pub fn process_requests(client: super::JobClient) -> JobDef {
    JobDef::new(
        NAME,
        "0 * 0-2,10-23 * * *",
        "Processes refund and deferral requests from the Google Sheets Enrollment Change Request spreadsheet.",
        move |state| {
            let client = client.clone();
            async move {
                match client {
                    Err(e) => anyhow::bail!("{e}"),
                    Ok(Some(c)) => service::run(&state, &c).await,
                    Ok(None) => Ok(
                        "Google Sheets is not configured (MITXONLINE_SHEETS_CREDENTIALS); nothing read"
                            .into(),
                    ),
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schedule_is_a_valid_cron_expression_for_the_scheduler() {
        let def = super::process_requests(Ok(None));
        let job = tokio_cron_scheduler::Job::new_async(def.schedule, |_id, _l| Box::pin(async {}));
        assert!(job.is_ok(), "{:?}", job.err());
    }
}
