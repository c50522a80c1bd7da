//! What a flow is, where its figures come from, and the health rule.

use serde::Serialize;

/// Where a flow's figures are read.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// Outbox messages to `destination`, of these kinds (all kinds when empty).
    Outbox {
        destination: &'static str,
        kinds: &'static [&'static str],
    },
    /// Runs of these jobs.
    Jobs(&'static [&'static str]),
    /// Requests made with a catalog-scope API key (MIT Learn's ETL).
    CatalogPulls,
    /// CyberSource payment results recorded, and results that did not match (alerts).
    PaymentResults,
    /// The streamed backup's replicator.
    Backup,
}

/// One arrow of the map.
#[derive(Debug, Clone, Copy)]
pub struct FlowDef {
    pub id: &'static str,
    pub label: &'static str,
    pub partner: &'static str,
    /// From us to the partner (else from the partner to us).
    pub outbound: bool,
    pub sources: &'static [Source],
}

const EDX_ACCOUNT_KINDS: &[&str] = &[
    "create_user",
    "create_auth_token",
    "update_profile",
    "email_settings",
];

/// Every flow, in drawing order.
pub const FLOWS: &[FlowDef] = &[
    FlowDef {
        id: "openedx_users",
        label: "Accounts and profiles",
        partner: "Open edX",
        outbound: true,
        sources: &[
            Source::Outbox {
                destination: "openedx",
                kinds: EDX_ACCOUNT_KINDS,
            },
            Source::Jobs(&["repair-faulty-edx-users"]),
        ],
    },
    FlowDef {
        id: "openedx_enrollments",
        label: "Enrollments",
        partner: "Open edX",
        outbound: true,
        sources: &[
            Source::Outbox {
                destination: "openedx",
                kinds: &["enroll", "unenroll", "clone_course_run"],
            },
            Source::Jobs(&["retry-failed-edx-enrollments"]),
        ],
    },
    FlowDef {
        id: "openedx_course_runs",
        label: "Course-run sync",
        partner: "Open edX",
        outbound: false,
        sources: &[Source::Jobs(&["sync-courseruns-data"])],
    },
    FlowDef {
        id: "certificates",
        label: "Grade pull and certificates",
        partner: "Open edX",
        outbound: false,
        sources: &[Source::Jobs(&[
            "generate-course-certificate",
            "generate-missing-program-certificates",
            "upgrade-eligible-program-enrollments",
        ])],
    },
    FlowDef {
        id: "hubspot",
        label: "CRM contacts, deals, products, certificates",
        partner: "HubSpot",
        outbound: true,
        sources: &[
            Source::Outbox {
                destination: "hubspot",
                kinds: &[],
            },
            Source::Jobs(&["hubspot-sync"]),
        ],
    },
    FlowDef {
        id: "sheets",
        label: "Refund and deferral requests",
        partner: "Google Sheets",
        outbound: false,
        sources: &[Source::Jobs(&["process-google-sheets-requests"])],
    },
    FlowDef {
        id: "keycloak",
        label: "Organizations",
        partner: "Keycloak",
        outbound: true,
        sources: &[
            Source::Outbox {
                destination: "keycloak",
                kinds: &[],
            },
            Source::Jobs(&["sync-keycloak"]),
        ],
    },
    FlowDef {
        id: "cybersource",
        label: "Payment results and reconciliation",
        partner: "CyberSource",
        outbound: false,
        sources: &[
            Source::PaymentResults,
            Source::Jobs(&["resolve-pending-orders", "resolve-pending-refunds"]),
        ],
    },
    FlowDef {
        id: "mail",
        label: "Mail",
        partner: "SMTP",
        outbound: true,
        sources: &[Source::Outbox {
            destination: "mail",
            kinds: &[],
        }],
    },
    FlowDef {
        id: "verifiable_credentials",
        label: "Verifiable credentials",
        partner: "Credentials signer",
        outbound: true,
        sources: &[Source::Outbox {
            destination: "verifiable_credentials",
            kinds: &[],
        }],
    },
    FlowDef {
        id: "mit_learn",
        label: "Catalog pulls",
        partner: "MIT Learn",
        outbound: false,
        sources: &[Source::CatalogPulls],
    },
    FlowDef {
        id: "backup",
        label: "Streamed backup",
        partner: "Replica",
        outbound: true,
        sources: &[Source::Backup],
    },
];

/// A flow's health, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Nothing has flowed yet.
    Idle,
    Ok,
    /// Errors in the last 24 hours, but the flow works now.
    Degraded,
    /// Failing now (retrying, last run failed, replica behind) or dead letters waiting.
    Failing,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Idle => "idle",
            Health::Ok => "ok",
            Health::Degraded => "degraded",
            Health::Failing => "failing",
        }
    }
}

/// A flow's figures, summed over its sources.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    pub last_success: Option<String>,
    /// Seconds the oldest waiting item has waited (outbox) or the replica is behind.
    pub lag_seconds: i64,
    pub backlog: i64,
    pub dead_letters: i64,
    pub attempts_24h: i64,
    pub errors_24h: i64,
    pub failing_now: bool,
    /// Anything has flowed or waits.
    pub seen: bool,
    /// The latest error or failure detail.
    pub detail: Option<String>,
}

impl Figures {
    pub fn health(&self) -> Health {
        if self.failing_now || self.dead_letters > 0 {
            Health::Failing
        } else if self.errors_24h > 0 {
            Health::Degraded
        } else if self.seen {
            Health::Ok
        } else {
            Health::Idle
        }
    }

    /// Failed share of the attempts over 24 hours, in per mille (0 when nothing was tried).
    pub fn error_permille(&self) -> i64 {
        if self.attempts_24h == 0 {
            0
        } else {
            self.errors_24h * 1000 / self.attempts_24h
        }
    }
}

/// A flow with its figures, as the page, `/metrics` and `/health/full/` show it.
#[derive(Debug, Clone, Serialize)]
pub struct FlowStatus {
    pub id: &'static str,
    pub label: &'static str,
    pub partner: &'static str,
    pub outbound: bool,
    pub health: Health,
    pub figures: Figures,
    /// Outbox destinations and jobs behind the flow (links on the page).
    pub destinations: Vec<&'static str>,
    pub jobs: Vec<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_the_worst_that_applies() {
        let mut f = Figures::default();
        assert_eq!(f.health(), Health::Idle);
        f.seen = true;
        assert_eq!(f.health(), Health::Ok);
        f.errors_24h = 1;
        f.attempts_24h = 4;
        assert_eq!(f.health(), Health::Degraded);
        assert_eq!(f.error_permille(), 250);
        f.dead_letters = 1;
        assert_eq!(f.health(), Health::Failing);
        f.dead_letters = 0;
        f.errors_24h = 0;
        f.failing_now = true;
        assert_eq!(f.health(), Health::Failing);
    }

    #[test]
    fn every_flow_has_a_unique_id_and_a_source() {
        let mut ids: Vec<_> = FLOWS.iter().map(|f| f.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), FLOWS.len());
        assert!(FLOWS.iter().all(|f| !f.sources.is_empty()));
    }
}
