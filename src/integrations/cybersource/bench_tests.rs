//! Throughput figures for the CyberSource and discount hot paths. Not a test of speed (no
//! assertions on time): `scripts/bench-payments` runs it in release mode and prints the figures.

use std::time::Instant;

use chrono::Utc;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::*;
use crate::commerce::discounts::rules::DiscountType;
use crate::commerce::discounts::rules::line_price;
fn per_second(label: &str, n: u32, f: impl Fn(u32)) {
    let start = Instant::now();
    for i in 0..n {
        f(i);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: {:.0} per second ({n} in {:.3} s)",
        f64::from(n) / secs,
        secs
    );
}

#[test]
#[ignore = "benchmark; run with scripts/bench-payments"]
fn bench_payments() {
    let creds = Credentials {
        secure_acceptance_url: "https://testsecureacceptance.cybersource.com/pay".into(),
        access_key: "ak".into(),
        profile_id: "pid".into(),
        security_key: Secret::new("a-security-key-of-realistic-length-0123456789abcdef"),
    };
    let order = CheckoutOrder {
        username: "learner".into(),
        ip_address: Some("192.0.2.1".into()),
        reference: "mitxonline-production-123456".into(),
        lines: (0..12)
            .map(|i| CheckoutLine {
                code: "19".into(),
                name: format!("Course run number {i} with a realistic title"),
                sku: format!("19-{i}"),
                quantity: 1,
                unit_price: Decimal::new(9999, 2),
                tax_amount: Decimal::ZERO,
            })
            .collect(),
        merchant_fields: vec![42.into()],
    };
    let urls = ReturnUrls {
        receipt: "https://mitxonline.mit.edu/checkout/result/".into(),
        cancel: "https://mitxonline.mit.edu/checkout/result/".into(),
        backoffice: None,
    };
    let now = Utc::now();
    per_second("sign a 12-line checkout form", 20_000, |_| {
        std::hint::black_box(prepare_checkout(&creds, &order, &urls, now, Uuid::nil()));
    });
    let form = prepare_checkout(&creds, &order, &urls, now, Uuid::nil());
    let result = sandbox::result_fields(
        creds.security_key.expose(),
        &form.fields,
        sandbox::Choice::Accept,
        sandbox::TEST_CARDS[0],
        Some("7000000000000000000001"),
        now,
    );
    let callback = CallbackForm { fields: result };
    per_second("verify and decode a callback (≈110 fields)", 20_000, |_| {
        assert!(callback.verify(creds.security_key.expose()).is_ok());
        std::hint::black_box(callback.decode());
    });
    let discounts = [
        (DiscountType::PercentOff, Decimal::new(125, 1)),
        (DiscountType::DollarsOff, Decimal::new(2500, 2)),
        (DiscountType::FixedPrice, Decimal::new(80, 0)),
    ];
    per_second("price a line with three candidate discounts", 1_000_000, |i| {
        std::hint::black_box(line_price(
            Decimal::new(9999 + i64::from(i % 100), 2),
            &discounts,
            1,
        ));
    });
}
