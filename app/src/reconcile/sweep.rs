//! A reconciliation pass: every succeeded payment of the shop's created in a window, judged;
//! orphans refunded; the pass recorded with where the next one resumes and what it could not
//! fix. Two passes at once are harmless: each orphan's refund has one idempotency key.
use super::{Reconciler, Verdict, unix};
use crate::orders::ReconciliationRun;
use std::time::{Duration, SystemTime};

/// Which payments a pass reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepPlan {
    /// Read from here (unix seconds) instead of where the last pass left off.
    pub since: Option<i64>,
    /// With no pass on record, read this far back.
    pub first_lookback: Duration,
}

pub async fn sweep(r: &Reconciler<'_>, plan: SweepPlan) -> Result<ReconciliationRun, super::ReconcileError> {
    let started = SystemTime::now();
    let now = unix(started);
    let since = match plan.since {
        Some(since) => since,
        None => match r.store.resume_at().await? {
            Some(at) => at,
            None => now - i64::try_from(plan.first_lookback.as_secs()).unwrap_or(0),
        },
    };
    let payments = r.payments.succeeded_since(since).await?;
    // Payments younger than the grace are read again by the next pass, and so is any the pass
    // could not judge yet.
    let mut resume_at = (now - i64::try_from(r.grace.as_secs()).unwrap_or(0)).max(since);
    let mut run = ReconciliationRun {
        id: 0,
        started_at: humantime::format_rfc3339_millis(started).to_string(),
        finished_at: String::new(),
        since,
        resume_at,
        checked: 0,
        refunded: 0,
        problems: vec![],
    };
    for payment in &payments {
        run.checked += 1;
        match r.judge(payment, false, started).await? {
            Verdict::Ordered | Verdict::Refunded | Verdict::NotPaid => {}
            Verdict::RefundedNow(_) => run.refunded += 1,
            Verdict::NotYet => resume_at = resume_at.min(payment.created),
            Verdict::Problem(p) => {
                if p.problem == "cart_unknown" {
                    resume_at = resume_at.min(payment.created);
                }
                tracing::error!(payment_intent = %p.payment_intent, problem = %p.problem, "payment not reconciled");
                run.problems.push(p);
            }
        }
    }
    run.resume_at = resume_at;
    run.finished_at = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    run.id = r.store.record_run(&run).await?;
    Ok(run)
}
