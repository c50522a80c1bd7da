//! `src/integrations/cybersource/`: Secure Acceptance signing and the signed result form.

#[path = "../../src/integrations/cybersource/callback.rs"]
pub mod callback;
#[path = "../../src/integrations/cybersource/signing.rs"]
pub mod signing;
