use std::collections::BTreeMap;

use super::reader::parse_size;
use super::*;

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
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
