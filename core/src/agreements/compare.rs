//! An agreement sent whole again (a sync push) compared with the stored one. An agreement has
//! no free edit: what it says is fixed when it is opened, and it moves on only by signing,
//! filing and termination. So the comparison yields the steps still to take (each through its
//! own operation and rules), or refuses, field by field, what no step can change.

use std::collections::HashSet;

use entity::wage_agreements;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{Filing, NewAgreement, Termination, Terms, queries};
use crate::{CoreError, FieldError};

/// The steps that bring a stored agreement to what was sent, in the order they are taken.
#[derive(Default)]
pub struct Steps {
    pub sign: Option<Terms>,
    pub file: Option<Filing>,
    pub terminate: Option<Termination>,
}

impl Steps {
    pub fn is_empty(&self) -> bool {
        self.sign.is_none() && self.file.is_none() && self.terminate.is_none()
    }
}

fn immutable(field: &str, message: &str) -> FieldError {
    FieldError::new(field, "immutable", message)
}

/// One stage of the lifecycle: nothing to do when sent as stored, a step when newly sent,
/// refused when it would change or take back what is recorded.
fn stage<T: PartialEq>(
    stored: Option<T>,
    sent: Option<T>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match (stored, sent) {
        (None, None) => None,
        (None, Some(sent)) => Some(sent),
        (Some(stored), Some(sent)) if stored == sent => None,
        _ => {
            errors.push(immutable(
                field,
                "once recorded this does not change; terminate the agreement and open another",
            ));
            None
        }
    }
}

/// What must happen for `a` to hold what was sent; empty when it holds it already.
pub async fn steps_to(
    conn: &impl ConnectionTrait,
    a: &wage_agreements::Model,
    new: &NewAgreement,
    terms: Option<Terms>,
    filing: Option<Filing>,
    termination: Option<Termination>,
) -> Result<Steps, CoreError> {
    let (covered, _) = queries::details(conn, &[a.id]).await?;
    let stored = covered.get(&a.id).map(Vec::as_slice).unwrap_or_default();
    steps_with(a, stored, new, terms, filing, termination)
}

/// Whether `a`, covering `covered`, holds what was sent already (the comparison of
/// [`steps_to`], for a push that read many agreements at once).
pub fn holds(
    a: &wage_agreements::Model,
    covered: &[Uuid],
    new: &NewAgreement,
    terms: Option<Terms>,
    filing: Option<Filing>,
    termination: Option<Termination>,
) -> bool {
    steps_with(a, covered, new, terms, filing, termination).is_ok_and(|s| s.is_empty())
}

fn steps_with(
    a: &wage_agreements::Model,
    covered: &[Uuid],
    new: &NewAgreement,
    terms: Option<Terms>,
    filing: Option<Filing>,
    termination: Option<Termination>,
) -> Result<Steps, CoreError> {
    let mut errors = Vec::new();
    let fixed = "an agreement's parties and text are fixed when it is opened";
    let stored: HashSet<_> = covered.iter().copied().collect();
    let sent: HashSet<_> = new.enterprise_ids.iter().copied().collect();
    for (field, same) in [
        ("org_id", new.org_id == a.org_id),
        ("title", new.title.trim() == a.title),
        ("scope", new.scope.as_str() == a.scope),
        ("mode", new.mode.as_str() == a.mode),
        ("text_type", new.text_type.as_str() == a.text_type),
        ("industry", new.industry == a.industry),
        ("enterprise_ids", stored == sent),
    ] {
        if !same {
            errors.push(immutable(field, fixed));
        }
    }
    let stored_terms = match (a.signed_on, a.effective_from, a.effective_to) {
        (Some(signed_on), Some(effective_from), Some(effective_to)) => Some(Terms {
            signed_on,
            effective_from,
            effective_to,
            wage_rise_bp: a.wage_rise_bp.unwrap_or_default(),
            minimum_wage_fen: a.minimum_wage_fen.unwrap_or_default(),
            workers_covered: a.workers_covered.unwrap_or_default(),
        }),
        _ => None,
    };
    let stored_filing = a
        .filed_on
        .zip(a.filing_number.clone())
        .map(|(filed_on, n)| Filing {
            filed_on,
            filing_number: n,
        });
    let stored_termination =
        a.terminated_on
            .zip(a.termination_reason.clone())
            .map(|(terminated_on, reason)| Termination {
                terminated_on,
                reason,
            });
    let steps = Steps {
        sign: stage(stored_terms, terms, "terms", &mut errors),
        file: stage(stored_filing, filing, "filing", &mut errors),
        terminate: stage(stored_termination, termination, "termination", &mut errors),
    };
    if errors.is_empty() {
        Ok(steps)
    } else {
        Err(CoreError::Validation(errors))
    }
}
