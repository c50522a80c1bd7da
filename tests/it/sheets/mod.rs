//! Google Sheets refunds and deferrals, and the enrollment deferral service behind them.

mod deferrals;
