use std::collections::BTreeMap;

use super::reader::parse_size;
use super::*;

/// Environment variables from pairs, for `Config::from_vars` in tests.
pub(crate) fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn defaults_match_the_design_document() {
    let c = Config::from_vars(&BTreeMap::new()).unwrap();
    assert_eq!(c.bind.to_string(), "127.0.0.1:8013");
    assert_eq!(c.database_path(), PathBuf::from("./data/mitxonline.db"));
    assert_eq!(c.environment, "dev");
    assert_eq!(c.auth_mode, AuthMode::Local);
    assert_eq!(c.body_limit, 10 * 1024 * 1024);
    assert_eq!(c.db_synchronous, Synchronous::Full);
    assert!(c.openedx.is_none() && c.cybersource.is_none());
    assert_eq!(c.path_prefix(), "");
}

#[test]
fn every_invalid_variable_is_named() {
    let err = Config::from_vars(&vars(&[
        ("MITXONLINE_BIND", "not-an-address"),
        ("MITXONLINE_LOG_FORMAT", "xml"),
        ("MITXONLINE_PUBLIC_URL", "ftp://x"),
    ]))
    .unwrap_err();
    let names: Vec<_> = err.0.iter().map(|p| p.variable.as_str()).collect();
    assert_eq!(
        names,
        [
            "MITXONLINE_BIND",
            "MITXONLINE_PUBLIC_URL",
            "MITXONLINE_LOG_FORMAT"
        ]
    );
}

#[test]
fn secrets_never_print() {
    let c = Config::from_vars(&vars(&[
        (
            "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
            "https://cs.example/pay",
        ),
        ("MITXONLINE_CYBERSOURCE_ACCESS_KEY", "ak"),
        ("MITXONLINE_CYBERSOURCE_PROFILE_ID", "pid"),
        ("MITXONLINE_CYBERSOURCE_SECURITY_KEY", "super-secret-value"),
    ]))
    .unwrap();
    let text = c.redacted_lines().join("\n");
    assert!(!text.contains("super-secret-value"));
    assert!(!format!("{c:?}").contains("super-secret-value"));
    assert!(text.contains("MITXONLINE_CYBERSOURCE_SECURITY_KEY=********"));
}

#[test]
fn cybersource_url_without_keys_names_each_missing_key() {
    let err = Config::from_vars(&vars(&[(
        "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
        "https://cs.example/pay",
    )]))
    .unwrap_err();
    assert_eq!(err.0.len(), 3);
}

#[test]
fn prefix_and_absolute_urls_follow_the_public_url() {
    let c = Config::from_vars(&vars(&[(
        "MITXONLINE_PUBLIC_URL",
        "https://api.learn.mit.edu/mitxonline",
    )]))
    .unwrap();
    assert_eq!(c.path_prefix(), "/mitxonline");
    assert_eq!(
        c.absolute_url("/api/v2/courses/?page=2"),
        "https://api.learn.mit.edu/mitxonline/api/v2/courses/?page=2"
    );
}

#[test]
fn cidr_matching() {
    let net = IpNet::parse("127.0.0.1/8").unwrap();
    assert!(net.contains("127.9.9.9".parse().unwrap()));
    assert!(!net.contains("10.0.0.1".parse().unwrap()));
    assert!(net.contains("::ffff:127.0.0.1".parse().unwrap()));
    assert!(IpNet::parse("::1").unwrap().contains("::1".parse().unwrap()));
    assert!(IpNet::parse("1.2.3.4/33").is_err());
}

#[test]
fn durations_and_sizes_parse() {
    assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
    assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
    assert!(parse_duration("five").is_err());
    assert_eq!(parse_size("10MB").unwrap(), 10 << 20);
    assert_eq!(parse_size("2048").unwrap(), 2048);
    assert!(parse_size("-1").is_err());
}

#[test]
fn sandboxes_run_only_in_dev_and_test_unless_switched() {
    let with = |pairs: &[(&str, &str)]| Config::from_vars(&vars(pairs)).unwrap();
    assert!(with(&[]).sandbox_allowed(), "dev is the default");
    assert!(with(&[("MITXONLINE_ENVIRONMENT", "test")]).cybersource_sandbox());
    let prod = with(&[("MITXONLINE_ENVIRONMENT", "production")]);
    assert!(!prod.sandbox_allowed() && !prod.cybersource_sandbox() && !prod.openedx_sandbox());
    assert!(!prod.mail_sandbox());
    let names: Vec<String> = prod.sandbox_problems().into_iter().map(|p| p.variable).collect();
    assert_eq!(
        names,
        [
            "MITXONLINE_CYBERSOURCE_SECURE_ACCEPTANCE_URL",
            "MITXONLINE_CYBERSOURCE_ACCESS_KEY",
            "MITXONLINE_CYBERSOURCE_PROFILE_ID",
            "MITXONLINE_CYBERSOURCE_SECURITY_KEY",
            "MITXONLINE_OPENEDX_API_BASE_URL",
            "MITXONLINE_SMTP_URL",
            "MITXONLINE_KEYCLOAK_BASE_URL",
            "MITXONLINE_HUBSPOT_ACCESS_TOKEN"
        ]
    );
    assert!(prod.check_sandboxes().is_err());
    let on = with(&[
        ("MITXONLINE_ENVIRONMENT", "production"),
        ("MITXONLINE_SANDBOX", "on"),
    ]);
    assert!(on.sandbox_allowed() && on.check_sandboxes().is_ok());
    let off = with(&[("MITXONLINE_SANDBOX", "off")]);
    assert!(!off.sandbox_allowed() && off.check_sandboxes().is_err());
    let err = Config::from_vars(&vars(&[("MITXONLINE_SANDBOX", "maybe")])).unwrap_err();
    assert_eq!(err.0[0].variable, "MITXONLINE_SANDBOX");
}

#[test]
fn a_cybersource_config_never_runs_the_sandbox_without_its_database_keys() {
    use crate::integrations::cybersource::CyberSource;
    let c = Config::from_vars(&BTreeMap::new()).unwrap();
    assert!(c.sandbox_keys.is_none());
    let a = CyberSource::from_config(&c);
    let b = CyberSource::from_config(&c);
    assert!(
        !a.sandbox && a.rest.is_none(),
        "no keys loaded: a gateway that refuses everything"
    );
    assert_ne!(
        a.credentials.security_key, b.credentials.security_key,
        "a random key nobody holds"
    );
}
