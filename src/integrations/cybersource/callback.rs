//! What CyberSource posts back — to the learner's browser (`/checkout/result/`) and
//! server-to-server (`/api/checkout/result/`): verification and decoding (integrations §4.4).
//!
//! Unlike the original, only POSTed form fields are ever considered (never a query string),
//! the signature is compared in constant time, a form repeating a signed field is refused, and
//! fields outside `signed_field_names` are never read.
//!
//! A leaf module (std, serde, serde_json, serde_urlencoded, thiserror and `signing`): the fuzz
//! suite (`fuzz/`, target `cybersource`) compiles the two files on their own.

use std::collections::{BTreeMap, HashMap};

use super::signing::{constant_time_eq, message, signature};

/// The gateway's decision, as the original's `ProcessorResponse.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Decision {
    Accept,
    Decline,
    /// MITx Online treats REVIEW like CANCEL (failure mode 4).
    Review,
    Cancel,
    /// Also any missing or unknown decision.
    Error,
    /// Only REST refunds answer this.
    Pending,
}

impl Decision {
    /// `_get_decision_from_response`: exact, case-sensitive; anything else is `Error`.
    pub fn parse(value: Option<&str>) -> Decision {
        match value {
            Some("ACCEPT") => Decision::Accept,
            Some("DECLINE") => Decision::Decline,
            Some("REVIEW") => Decision::Review,
            Some("CANCEL") => Decision::Cancel,
            Some("PENDING") => Decision::Pending,
            _ => Decision::Error,
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accept => "ACCEPT",
            Decision::Decline => "DECLINE",
            Decision::Review => "REVIEW",
            Decision::Cancel => "CANCEL",
            Decision::Error => "ERROR",
            Decision::Pending => "PENDING",
        }
    }
}

/// Why a posted result was not accepted as coming from CyberSource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the request is not an application/x-www-form-urlencoded POST body")]
    NotAForm,
    #[error("the form has no `signature` field")]
    MissingSignature,
    #[error("the form has no `signed_field_names` field")]
    MissingSignedFieldNames,
    #[error("the signed field `{0}` is missing")]
    MissingSignedField(String),
    #[error("the field `{0}` appears more than once")]
    RepeatedField(String),
    #[error("the signature does not match")]
    Mismatch,
    #[error(
        "the signed field `{0}` could be read two ways (a name that is not a plain word, or a value holding `,<signed name>=`)"
    )]
    Ambiguous(String),
}

/// The signed message joins `name=value` with commas, so it alone does not say where a value
/// ends: a reply whose value holds `,decision=ACCEPT` (a name typed on CyberSource's form is
/// echoed back signed) signs the same message as one where `decision` is a field of its own,
/// and a form re-cut that way would verify. Refused: a listed name that is not a plain word
/// (ASCII letters, digits, `_`), and a value (but `signed_field_names`'s own) holding
/// `,<listed name>=`. What verifies then has one reading only: the one that was signed.
fn refuse_ambiguous<'a>(names: &str, value_of: impl Fn(&str) -> Option<&'a str>) -> Result<(), VerifyError> {
    let listed: Vec<&str> = names.split(',').collect();
    let plain = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if let Some(bad) = listed.iter().find(|n| !plain(n)) {
        return Err(VerifyError::Ambiguous((*bad).to_owned()));
    }
    for name in listed.iter().filter(|n| **n != "signed_field_names") {
        let value = value_of(name).unwrap_or_default();
        if listed.iter().any(|other| value.contains(&format!(",{other}="))) {
            return Err(VerifyError::Ambiguous((*name).to_owned()));
        }
    }
    Ok(())
}

/// The fields of a posted result, in the order they came.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallbackForm {
    pub fields: Vec<(String, String)>,
}

impl CallbackForm {
    /// Parses an `application/x-www-form-urlencoded` POST body.
    pub fn from_body(content_type: Option<&str>, body: &[u8]) -> Result<Self, VerifyError> {
        let is_form = content_type
            .and_then(|c| c.split(';').next())
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(VerifyError::NotAForm);
        }
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| VerifyError::NotAForm)?;
        Ok(CallbackForm { fields })
    }

    /// The single value of a field, `None` when absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Recomputes the signature over the posted `signed_field_names` and compares it with the
    /// posted `signature` in constant time.
    pub fn verify(&self, security_key: &str) -> Result<(), VerifyError> {
        let mut by_name: HashMap<&str, (usize, &str)> = HashMap::with_capacity(self.fields.len());
        for (k, v) in &self.fields {
            let entry = by_name.entry(k.as_str()).or_insert((0, v.as_str()));
            entry.0 += 1;
        }
        let one = |name: &str| match by_name.get(name) {
            Some((1, v)) => Ok(Some(*v)),
            Some(_) => Err(VerifyError::RepeatedField(name.to_owned())),
            None => Ok(None),
        };
        let posted = one("signature")?.ok_or(VerifyError::MissingSignature)?;
        let names = one("signed_field_names")?.ok_or(VerifyError::MissingSignedFieldNames)?;
        for name in names.split(',') {
            one(name)?;
        }
        refuse_ambiguous(names, |n| by_name.get(n).map(|(_, v)| *v))?;
        let msg =
            message(names, |n| by_name.get(n).map(|(_, v)| *v)).map_err(VerifyError::MissingSignedField)?;
        let expected = signature(security_key, &msg);
        if constant_time_eq(expected.as_bytes(), posted.as_bytes()) {
            Ok(())
        } else {
            Err(VerifyError::Mismatch)
        }
    }

    /// The value of a field only if the signature covers it.
    pub fn signed_get(&self, name: &str) -> Option<&str> {
        let signed = self.get("signed_field_names")?;
        signed
            .split(',')
            .any(|n| n == name)
            .then(|| self.get(name))
            .flatten()
    }

    /// Decodes the result (`decode_processor_response`). Call [`CallbackForm::verify`] first.
    /// Unlike the original, only fields covered by the signature are read: an unsigned
    /// `decision` added to a genuine reply is ignored.
    pub fn decode(&self) -> ProcessorResponse {
        let text = |k: &str| self.signed_get(k).unwrap_or_default().to_owned();
        ProcessorResponse {
            decision: Decision::parse(self.signed_get("decision")),
            reason_code: text("reason_code"),
            message: text("message"),
            transaction_id: text("transaction_id"),
            reference_number: self.signed_get("req_reference_number").map(str::to_owned),
            amount: self.signed_get("req_amount").map(str::to_owned),
            currency: self.signed_get("req_currency").map(str::to_owned),
            transaction_uuid: self.signed_get("req_transaction_uuid").map(str::to_owned),
        }
    }

    /// All fields as a JSON object, what the original stores as the transaction's data.
    pub fn to_json(&self) -> serde_json::Value {
        let map: BTreeMap<&str, &str> = self
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        serde_json::json!(map)
    }
}

/// The salient parts of a result (the original's `ProcessorResponse`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProcessorResponse {
    pub decision: Decision,
    /// `100` means success; 101–199 are successes worth logging.
    pub reason_code: String,
    pub message: String,
    pub transaction_id: String,
    /// `req_reference_number`: `mitxonline-<environment>-<order id>`.
    pub reference_number: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// `req_transaction_uuid`: which checkout form this result answers.
    pub transaction_uuid: Option<String>,
}

/// What MITx Online does with a pending order given a result
/// (`process_cybersource_payment_response`, checked in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum OrderOutcome {
    /// DECLINE: the order becomes declined (its discount redemptions are released).
    Decline,
    /// ERROR (also a missing or unknown decision): errored.
    Error,
    /// CANCEL and REVIEW: canceled (failure mode 4).
    Cancel,
    /// ACCEPT, or reason code 100 under any other remaining decision: fulfilled.
    Fulfil,
}

impl ProcessorResponse {
    /// The order transition, exactly as the original decides it. A PENDING decision without
    /// reason code 100 cancels, like the original's "unknown state" branch.
    pub fn order_outcome(&self) -> OrderOutcome {
        match self.decision {
            Decision::Decline => OrderOutcome::Decline,
            Decision::Error => OrderOutcome::Error,
            Decision::Cancel | Decision::Review => OrderOutcome::Cancel,
            Decision::Accept => OrderOutcome::Fulfil,
            Decision::Pending if self.reason_code.parse::<u32>() == Ok(100) => OrderOutcome::Fulfil,
            Decision::Pending => OrderOutcome::Cancel,
        }
    }

    /// Whether the order is paid ([`OrderOutcome::Fulfil`]).
    pub fn is_paid(&self) -> bool {
        self.order_outcome() == OrderOutcome::Fulfil
    }

    /// Reason codes 101–199 are logged as errors by the original (successful but unusual).
    pub fn is_unusual_success(&self) -> bool {
        self.reason_code
            .parse::<u32>()
            .is_ok_and(|c| (101..200).contains(&c))
    }
}

/// `mitxonline-<environment>-<order id>`.
pub fn reference_number(environment: &str, order_id: i64) -> String {
    format!("mitxonline-{environment}-{order_id}")
}

/// The order id in a reference number of this environment; `None` for any other reference.
pub fn order_id_from_reference(environment: &str, reference: &str) -> Option<i64> {
    let id = reference.strip_prefix(&format!("mitxonline-{environment}-"))?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_outcomes_follow_the_original_order_of_checks() {
        let table = [
            ("ACCEPT", "100", OrderOutcome::Fulfil),
            ("ACCEPT", "", OrderOutcome::Fulfil),
            ("DECLINE", "100", OrderOutcome::Decline),
            ("ERROR", "100", OrderOutcome::Error),
            ("", "", OrderOutcome::Error),
            ("SOMETHING", "100", OrderOutcome::Error),
            ("CANCEL", "", OrderOutcome::Cancel),
            ("REVIEW", "480", OrderOutcome::Cancel),
            ("REVIEW", "100", OrderOutcome::Cancel),
            ("PENDING", "100", OrderOutcome::Fulfil),
            ("PENDING", "", OrderOutcome::Cancel),
        ];
        for (decision, reason, want) in table {
            let mut fields = vec![("reason_code".to_owned(), reason.to_owned())];
            if !decision.is_empty() {
                fields.push(("decision".into(), decision.into()));
            }
            let fields = super::super::signing::sign_fields("k", fields);
            let r = CallbackForm { fields }.decode();
            assert_eq!(r.order_outcome(), want, "{decision} {reason}");
        }
    }

    #[test]
    fn references_round_trip_only_within_their_environment() {
        let r = reference_number("rc", 42);
        assert_eq!(r, "mitxonline-rc-42");
        assert_eq!(order_id_from_reference("rc", &r), Some(42));
        assert_eq!(order_id_from_reference("production", &r), None);
        assert_eq!(order_id_from_reference("rc", "mitxonline-rc-"), None);
        assert_eq!(order_id_from_reference("rc", "mitxonline-rc-4x"), None);
        assert_eq!(order_id_from_reference("rc", "mitxonline-rc-+4"), None);
    }

    #[test]
    fn only_url_encoded_forms_are_read() {
        assert_eq!(
            CallbackForm::from_body(Some("application/json"), b"{}"),
            Err(VerifyError::NotAForm)
        );
        assert_eq!(CallbackForm::from_body(None, b"a=1"), Err(VerifyError::NotAForm));
        let f = CallbackForm::from_body(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"a=1&b=x+y",
        )
        .unwrap();
        assert_eq!(f.get("b"), Some("x y"));
    }

    #[test]
    fn a_repeated_signed_field_is_refused_even_if_one_copy_verifies() {
        let signed = super::super::signing::sign_fields("k", vec![("decision".into(), "DECLINE".into())]);
        let mut form = CallbackForm { fields: signed };
        assert_eq!(form.verify("k"), Ok(()));
        form.fields.push(("decision".into(), "ACCEPT".into()));
        assert_eq!(
            form.verify("k"),
            Err(VerifyError::RepeatedField("decision".into()))
        );
    }

    #[test]
    fn unsigned_fields_are_ignored_where_the_original_would_read_them() {
        let signed = super::super::signing::sign_fields(
            "k",
            vec![
                ("reason_code".into(), "203".into()),
                ("req_amount".into(), "10.00".into()),
            ],
        );
        let mut form = CallbackForm { fields: signed };
        form.fields.push(("decision".into(), "ACCEPT".into()));
        assert_eq!(
            form.verify("k"),
            Ok(()),
            "extra unsigned fields do not break the signature"
        );
        let r = form.decode();
        assert_eq!(
            r.decision,
            Decision::Error,
            "an unsigned decision is not believed"
        );
        assert_eq!(r.amount.as_deref(), Some("10.00"));
        assert!(!r.is_paid());
    }

    /// CyberSource lists the fields in its own order and echoes the name typed on its form. A
    /// declined reply whose forename holds `,decision=ACCEPT,reason_code=100` signs the same
    /// message as a form re-cut to `decision=ACCEPT`; both are refused.
    #[test]
    fn a_value_that_could_shift_the_signed_fields_is_refused() {
        use super::super::signing::{message, signature};
        let names = "req_bill_to_forename,decision,reason_code,signed_field_names";
        let sign = |forename: &str, decision: &str, reason: &str| {
            let fields = vec![
                ("req_bill_to_forename".to_owned(), forename.to_owned()),
                ("decision".to_owned(), decision.to_owned()),
                ("reason_code".to_owned(), reason.to_owned()),
                ("signed_field_names".to_owned(), names.to_owned()),
            ];
            let msg = message(names, |n| {
                fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str())
            })
            .unwrap();
            (fields, msg)
        };
        let (mut genuine, msg) = sign("Eve,decision=ACCEPT,reason_code=100", "DECLINE", "481");
        let sig = signature("k", &msg);
        genuine.push(("signature".into(), sig.clone()));
        let (mut recut, recut_msg) = sign("Eve", "ACCEPT", "100,decision=DECLINE,reason_code=481");
        assert_eq!(recut_msg, msg, "the two readings sign one message");
        recut.push(("signature".into(), sig));
        let refused = Err(VerifyError::Ambiguous("req_bill_to_forename".into()));
        assert_eq!(CallbackForm { fields: genuine }.verify("k"), refused);
        let form = CallbackForm { fields: recut };
        assert_eq!(
            form.verify("k"),
            Err(VerifyError::Ambiguous("reason_code".into()))
        );
        assert_eq!(
            form.decode().decision,
            Decision::Accept,
            "what the re-cut would have bought"
        );
        let odd_name = CallbackForm {
            fields: sign_fields_named("a=b", "1"),
        };
        assert_eq!(odd_name.verify("k"), Err(VerifyError::Ambiguous("a=b".into())));
    }

    fn sign_fields_named(name: &str, value: &str) -> Vec<(String, String)> {
        super::super::signing::sign_fields("k", vec![(name.to_owned(), value.to_owned())])
    }

    #[test]
    fn missing_parts_are_named() {
        let form = CallbackForm {
            fields: vec![("signature".into(), "x".into())],
        };
        assert_eq!(form.verify("k"), Err(VerifyError::MissingSignedFieldNames));
        let form = CallbackForm {
            fields: vec![
                ("signature".into(), "x".into()),
                ("signed_field_names".into(), "a,b".into()),
                ("a".into(), "1".into()),
            ],
        };
        assert_eq!(form.verify("k"), Err(VerifyError::MissingSignedField("b".into())));
        assert_eq!(
            CallbackForm::default().verify("k"),
            Err(VerifyError::MissingSignature)
        );
    }
}
