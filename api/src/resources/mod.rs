//! One folder per resource, each with the same shape: `mod.rs` (routes), `handlers.rs`,
//! `dto.rs` (request and response types) and, where there is database work, `queries.rs`.

pub mod audit_events;
pub mod auth;
pub mod bank_cards;
pub mod beneficiaries;
pub mod campaigns;
pub mod clients;
pub mod coverage;
pub mod enterprises;
pub mod grants;
pub mod health;
pub mod imports;
pub mod jobs;
pub mod living_standards;
pub mod me;
pub mod meta;
pub mod minimum_wages;
pub mod orgs;
pub mod payouts;
pub mod sync;
pub mod users;
pub mod wage_agreements;
pub mod workers;

use actix_web::guard::{Guard, GuardContext};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// The routes under `/api/v1`, by the first segments of their paths, in the document's order.
/// actix-web tries a scope's routes in turn, running a regular expression for each route with a
/// parameter, until one matches: a get of one worker went through fifteen other routes' before
/// its own (7% of the server's time), and a county's sync push through a hundred. Each group is
/// a scope of its own that a request enters only when its path starts with one of the group's
/// segments (one string comparison), so a request tries only its own group's routes. A request
/// entering a group never falls through to another, so the modules that share a segment share
/// a group, and a segment belongs to one group (`segments_belong_to_one_group` holds the
/// document to it).
const GROUPS: &[(&[&str], &[Configure])] = &[
    (&["auth"], &[auth::configure]),
    (&["me"], &[me::configure]),
    (&["meta"], &[meta::configure]),
    (&["orgs"], &[orgs::configure]),
    (&["users"], &[users::configure]),
    (&["clients"], &[clients::configure]),
    (&["enterprises"], &[enterprises::configure]),
    (&["workers"], &[workers::configure]),
    (&["imports"], &[imports::configure]),
    (&["jobs"], &[jobs::configure]),
    (&["wage-agreements"], &[wage_agreements::configure]),
    (&["minimum-wages"], &[minimum_wages::configure]),
    (
        &["stats", "beneficiaries"],
        &[coverage::configure, beneficiaries::configure],
    ),
    (&["living-standards"], &[living_standards::configure]),
    (
        &[
            "campaigns",
            "grants",
            "grant-notices",
            "grant-objections",
            "banks",
            "bank-cards",
            "payout-batches",
            "payouts",
            "payout-files",
            "payout-checks",
            "bank-layouts",
        ],
        &[
            campaigns::configure,
            grants::configure,
            bank_cards::configure,
            payouts::configure,
        ],
    ),
    (&["sync"], &[sync::configure]),
    (&["audit-events"], &[audit_events::configure]),
];

/// A module's routes.
type Configure = fn(&mut ServiceConfig);

const API: &str = "/api/v1";

/// Admits a request whose path under [`API`] starts with one of its segments.
struct FirstSegment(&'static [&'static str]);

/// The segment after `/api/v1/` in a path, as it is written (escapes kept).
fn first_segment(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(API)?.strip_prefix('/')?;
    rest.split('/').next()
}

impl Guard for FirstSegment {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        let Some(first) = first_segment(ctx.head().uri.path()) else {
            return false;
        };
        if !first.contains('%') {
            return self.0.contains(&first);
        }
        // The router matches the path with its escapes decoded (`%77orkers` is `workers`).
        percent_encoding::percent_decode_str(first)
            .decode_utf8()
            .is_ok_and(|first| self.0.contains(&first.as_ref()))
    }
}

/// Every route of the service. Both the HTTP server and the OpenAPI document are built from this
/// one function, so a route cannot exist without being documented.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.configure(health::configure);
    cfg.configure(grants::configure_public);
    cfg.configure(payouts::configure_downloads);
    let mut api = scope(API);
    for (segments, modules) in GROUPS {
        let mut group = scope("").guard(FirstSegment(segments));
        for configure in *modules {
            group = group.configure(configure);
        }
        api = api.service(group);
    }
    cfg.service(api);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_belong_to_one_group() {
        let document = crate::docs::document();
        let mut seen = 0;
        for path in document.paths.paths.keys() {
            let Some(first) = first_segment(path) else {
                continue;
            };
            let groups = GROUPS.iter().filter(|(s, _)| s.contains(&first)).count();
            assert_eq!(groups, 1, "{path}: its first segment is in {groups} groups");
            seen += 1;
        }
        assert!(seen > 100, "only {seen} paths under /api/v1");
    }
}
